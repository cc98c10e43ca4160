/* The one function of libswiftmultiurisrc-tls.so the plugin calls, found
 * with dlsym once the plugin has loaded it (Rest/RestTLS.swift); the plugin
 * never links the object, whose SONAME is "libssl.so". */
#pragma once
#include <stddef.h>

/* 1 when civetweb will accept `path` as ssl_certificate (a PEM file holding
 * the certificate and its private key); 0 with a sentence in `reason`. */
int swiftmultiurisrc_tls_check_pem (const char *path, char *reason, size_t size);
