"""Runs MicroPython's tests/run-multitests.py with every instance on 127.0.0.1.

  run_multitests.py PATH/TO/run-multitests.py ARGS...

run-multitests.py finds "the host's IP" by connecting a UDP socket towards a
public address; here nothing leaves the loopback interface: the address is
127.0.0.1 (the servers in the tests bind 0.0.0.0, the clients connect to
the IP the server instance announces, HOST_IP on the unix port).
"""
import importlib.util
import os
import sys

script = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.dirname(script))  # for its `import run-tests`
spec = importlib.util.spec_from_file_location("run_multitests", script)
module = importlib.util.module_from_spec(spec)
sys.argv = [script] + sys.argv[2:]
spec.loader.exec_module(module)
module.get_host_ip = lambda *args: "127.0.0.1"
module.main()
