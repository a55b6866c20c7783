/*
 * The raw-OpenSSL floor for getpeercert(): reads every field CPython's
 * _decode_certificate puts in its dict (subject, issuer, version,
 * serialNumber, notBefore, notAfter, subjectAltName, OCSP, caIssuers,
 * crlDistributionPoints) with the same OpenSSL calls, into malloc'ed C
 * strings, and frees them. No Python objects, no value tree: the least
 * work any decoder of these fields can do on OpenSSL.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MAX_FIELDS 128

typedef struct strs {
    char *v[MAX_FIELDS];
    int n;
    int failed;
} strs;

static void add(strs *s, const char *p, size_t len)
{
    if (s->n >= MAX_FIELDS) {
        s->failed = 1;
        return;
    }
    char *c = malloc(len + 1);
    if (!c) {
        s->failed = 1;
        return;
    }
    memcpy(c, p, len);
    c[len] = 0;
    s->v[s->n++] = c;
}

static void add_name(strs *s, const X509_NAME *name)
{
    int n = X509_NAME_entry_count(name);
    for (int i = 0; i < n; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        char buf[256];
        int len = OBJ_obj2txt(buf, sizeof buf, X509_NAME_ENTRY_get_object(e), 0);
        if (len < 0) {
            s->failed = 1;
            continue;
        }
        add(s, buf, (size_t)len);
        unsigned char *utf8 = NULL;
        len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        if (len < 0) {
            s->failed = 1;
            continue;
        }
        add(s, (const char *)utf8, (size_t)len);
        OPENSSL_free(utf8);
    }
}

/* The text a printing function left in the memory BIO. */
static void add_bio(strs *s, BIO *bio)
{
    char buf[256];
    int len = BIO_gets(bio, buf, sizeof buf);
    if (len < 0) {
        s->failed = 1;
        len = 0;
    }
    add(s, buf, (size_t)len);
    (void)BIO_reset(bio);
}

static void add_general_names(strs *s, GENERAL_NAMES *names)
{
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        switch (g->type) {
        case GEN_DNS:
        case GEN_EMAIL:
        case GEN_URI: {
            const ASN1_STRING *a = g->d.ia5;
            add(s, (const char *)ASN1_STRING_get0_data(a), (size_t)ASN1_STRING_length(a));
            break;
        }
        case GEN_IPADD: {
            char buf[INET6_ADDRSTRLEN];
            const unsigned char *p = ASN1_STRING_get0_data(g->d.ip);
            int len = ASN1_STRING_length(g->d.ip);
            if (len == 4 || len == 16) {
                inet_ntop(len == 4 ? AF_INET : AF_INET6, p, buf, sizeof buf);
                add(s, buf, strlen(buf));
            }
            break;
        }
        case GEN_DIRNAME:
            add_name(s, g->d.dirn);
            break;
        default:
            break;
        }
    }
}

int raw_decode_cert(struct x509_st *cert)
{
    strs s = {.n = 0};
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return -1;
    add_name(&s, X509_get_subject_name(cert));
    add_name(&s, X509_get_issuer_name(cert));
    char ver[8];
    int vlen = snprintf(ver, sizeof ver, "%ld", X509_get_version(cert) + 1);
    add(&s, ver, (size_t)vlen);
    i2a_ASN1_INTEGER(bio, X509_get0_serialNumber(cert));
    add_bio(&s, bio);
    ASN1_TIME_print(bio, X509_get0_notBefore(cert));
    add_bio(&s, bio);
    ASN1_TIME_print(bio, X509_get0_notAfter(cert));
    add_bio(&s, bio);

    GENERAL_NAMES *san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (san) {
        add_general_names(&s, san);
        GENERAL_NAMES_free(san);
    }
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    if (aia) {
        for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
            ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
            int nid = OBJ_obj2nid(ad->method);
            if ((nid == NID_ad_OCSP || nid == NID_ad_ca_issuers) && ad->location->type == GEN_URI) {
                const ASN1_STRING *u = ad->location->d.uniformResourceIdentifier;
                add(&s, (const char *)ASN1_STRING_get0_data(u), (size_t)ASN1_STRING_length(u));
            }
        }
        AUTHORITY_INFO_ACCESS_free(aia);
    }
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    if (dps) {
        for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
            DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
            if (dp->distpoint && dp->distpoint->type == 0)
                add_general_names(&s, dp->distpoint->name.fullname);
        }
        CRL_DIST_POINTS_free(dps);
    }
    BIO_free(bio);
    for (int i = 0; i < s.n; i++)
        free(s.v[i]);
    return s.failed || s.n < 10 ? -1 : 0;
}
