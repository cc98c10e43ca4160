/* libswiftmultiurisrc-tls.so: what lets Debian 12's civetweb 1.15 start TLS
 * on OpenSSL 3.
 *
 * civetweb loads OpenSSL at run time with dlopen("libssl.so") and looks up
 * about 40 functions on that handle. One of them, SSL_get_peer_certificate,
 * is only a macro in OpenSSL 3 (the function is SSL_get1_peer_certificate),
 * so civetweb's TLS setup fails. This object's SONAME is "libssl.so" and it
 * needs libssl.so.3: once the plugin has loaded it by path, glibc answers
 * civetweb's dlopen("libssl.so") with it (a loaded object matches by
 * SONAME), and dlsym on that handle finds the missing name here and every
 * other one in libssl.so.3.
 *
 * It never sits where GStreamer scans for plugins under a name ending in
 * ".so", nor in a folder ldconfig reads (ldconfig would point the system's
 * libssl.so link at it): see README, "HTTPS". */
#include "swiftmultiurisrc_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#define SHIM_EXPORT __attribute__ ((visibility ("default")))

/* OpenSSL 3's header turns the old name into the new one. */
#undef SSL_get_peer_certificate

SHIM_EXPORT X509 *SSL_get_peer_certificate (const SSL * ssl);

/* OpenSSL 1.1's SSL_get_peer_certificate already handed out a new
 * reference (the caller frees it with X509_free, as civetweb does when the
 * connection ends); get1 only says so in its name. Forwarding neither leaks
 * nor frees twice. civetweb calls it only for client certificates, which the
 * plugin does not ask for. */
X509 *
SSL_get_peer_certificate (const SSL * ssl)
{
  return SSL_get1_peer_certificate (ssl);
}

static void
describe (char *reason, size_t size, const char *what)
{
  unsigned long code = ERR_peek_last_error ();
  char detail[256] = "";

  if (code != 0)
    ERR_error_string_n (code, detail, sizeof detail);
  if (detail[0] != '\0')
    snprintf (reason, size, "%s (OpenSSL: %s)", what, detail);
  else
    snprintf (reason, size, "%s", what);
}

/* Reads `path` as civetweb will (certificate, private key of the same PEM
 * file, the two matching, the file as certificate chain), so that a bad file
 * is named before the server starts instead of in civetweb's log. */
SHIM_EXPORT int
swiftmultiurisrc_tls_check_pem (const char *path, char *reason, size_t size)
{
  SSL_CTX *ctx;
  int ok = 0;

  if (reason == NULL || size == 0)
    return 0;
  reason[0] = '\0';
  if (path == NULL) {
    snprintf (reason, size, "no file named");
    return 0;
  }
  ERR_clear_error ();
  ctx = SSL_CTX_new (TLS_server_method ());
  if (ctx == NULL) {
    describe (reason, size, "OpenSSL cannot make a TLS context");
    ERR_clear_error ();
    return 0;
  }
  if (SSL_CTX_use_certificate_file (ctx, path, SSL_FILETYPE_PEM) != 1)
    describe (reason, size, "no usable PEM certificate in it");
  else if (SSL_CTX_use_PrivateKey_file (ctx, path, SSL_FILETYPE_PEM) != 1) {
    /* OpenSSL 3 already compares the key with the certificate here. */
    if (ERR_GET_REASON (ERR_peek_last_error ()) == X509_R_KEY_VALUES_MISMATCH)
      describe (reason, size, "its private key does not belong to its certificate");
    else
      describe (reason, size, "no usable PEM private key in it (it must hold the certificate and its key)");
  } else if (SSL_CTX_check_private_key (ctx) != 1)
    describe (reason, size, "its private key does not belong to its certificate");
  else if (SSL_CTX_use_certificate_chain_file (ctx, path) != 1)
    describe (reason, size, "it cannot be read as a certificate chain");
  else
    ok = 1;
  SSL_CTX_free (ctx);
  ERR_clear_error ();
  return ok;
}
