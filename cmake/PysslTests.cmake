# CTest tests for the header, the exported symbols and the installed
# package. Included from the top-level CMakeLists.txt when BUILD_TESTING.

set(_consumer_dir "${PROJECT_SOURCE_DIR}/tests/cmake-consumer")

# --- the header compiles as strict C99 and as C++ ----------------------------
set(_hdr_tu "${CMAKE_BINARY_DIR}/header_check/header_check.c")
file(WRITE "${_hdr_tu}.tmp" "#include \"pyssl.h\"\nint main(void) { return PYSSL_OK; }\n")
configure_file("${_hdr_tu}.tmp" "${_hdr_tu}" COPYONLY)
find_program(PYSSL_GCC NAMES gcc cc)
find_program(PYSSL_GXX NAMES g++ c++)
add_test(NAME header_c99
  COMMAND "${PYSSL_GCC}" -std=c99 -Wall -Wextra -Werror -pedantic
          -I "${PYSSL_INCLUDE_DIR}" -x c -c "${_hdr_tu}" -o header_c99.o
  WORKING_DIRECTORY "${CMAKE_BINARY_DIR}/header_check")
add_test(NAME header_cxx
  COMMAND "${PYSSL_GXX}" -std=c++11 -Wall -Wextra -Werror -pedantic
          -I "${PYSSL_INCLUDE_DIR}" -x c++ -c "${_hdr_tu}" -o header_cxx.o
  WORKING_DIRECTORY "${CMAKE_BINARY_DIR}/header_check")

# --- only pyssl_* symbols are exported ----------------------------------------
find_program(PYSSL_NM NAMES nm REQUIRED)
add_test(NAME exported_symbols
  COMMAND ${CMAKE_COMMAND} -DLIB=${PYSSL_LIB_DIR}/${PYSSL_REALNAME} -DNM=${PYSSL_NM}
          -P "${PROJECT_SOURCE_DIR}/cmake/CheckExports.cmake")
set_tests_properties(header_c99 header_cxx exported_symbols PROPERTIES LABELS "package")

# --- smoke: the consumer program in-tree (also the memcheck target) ----------
add_executable(pyssl_smoke "${_consumer_dir}/main.c")
target_link_libraries(pyssl_smoke PRIVATE pyssl::pyssl)
add_executable(pyssl_smoke_static "${_consumer_dir}/main.c")
target_link_libraries(pyssl_smoke_static PRIVATE pyssl::pyssl_static)
add_test(NAME smoke COMMAND pyssl_smoke)
add_test(NAME smoke_static COMMAND pyssl_smoke_static)
set_tests_properties(smoke smoke_static PROPERTIES
  LABELS "unit" PASS_REGULAR_EXPRESSION "^ok\n$")

# --- install into a temporary prefix, then consume it three ways -------------
set(_pkg_work "${CMAKE_BINARY_DIR}/package-test")
find_program(PYSSL_BASH bash REQUIRED)
add_test(NAME package_install
  COMMAND "${PYSSL_BASH}" "${_consumer_dir}/run.sh" install "${CMAKE_BINARY_DIR}" "${_pkg_work}")
add_test(NAME package_cmake_consumer
  COMMAND "${PYSSL_BASH}" "${_consumer_dir}/run.sh" cmake "${PROJECT_SOURCE_DIR}" "${_pkg_work}")
add_test(NAME package_pkgconfig_consumer
  COMMAND "${PYSSL_BASH}" "${_consumer_dir}/run.sh" pkgconfig "${PROJECT_SOURCE_DIR}" "${_pkg_work}"
          "${PYSSL_GCC}")
add_test(NAME package_static_consumer
  COMMAND "${PYSSL_BASH}" "${_consumer_dir}/run.sh" static "${PROJECT_SOURCE_DIR}" "${_pkg_work}"
          "${PYSSL_GCC}")
set_tests_properties(package_install package_cmake_consumer package_pkgconfig_consumer
  package_static_consumer PROPERTIES ENVIRONMENT "CMAKE=${CMAKE_COMMAND}")
set_tests_properties(package_install PROPERTIES
  FIXTURES_SETUP pyssl_installed LABELS "package" TIMEOUT 120)
set_tests_properties(package_cmake_consumer package_pkgconfig_consumer package_static_consumer
  PROPERTIES FIXTURES_REQUIRED pyssl_installed LABELS "package" TIMEOUT 300)
