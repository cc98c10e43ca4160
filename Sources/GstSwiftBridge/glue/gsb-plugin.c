#define _GNU_SOURCE             /* dladdr */
#include "gsb-plugin.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>

#define PACKAGE "swift-multiurisrc"

/* Defined in Swift. Weak so that targets linking only the bridge (event
 * library, tests of it) need not provide it. */
extern gboolean gsb_swift_plugin_init (GstPlugin * plugin)
    __attribute__((weak));

/* Swift's runtime, loaded with the plugin, installs its crash backtracer as
 * the handler of SIGTRAP among others. GLib raises SIGTRAP (int3) for
 * G_DEBUG=fatal-warnings and fatal-criticals; once the backtracer returns, the
 * host process simply carries on after the breakpoint, so loading this plugin
 * would make a host's fatal warnings non-fatal. Give SIGTRAP its default back
 * when the handler is Swift's own and nobody asked for Swift's backtraces
 * (SWIFT_BACKTRACE set to anything). Swift's own traps are ud2 (SIGILL) on x86_64 and keep
 * their backtraces; on arm64 they are brk (SIGTRAP) and then end without one. */
static void
give_sigtrap_back_to_the_host (void)
{
  const gchar *asked = g_getenv ("SWIFT_BACKTRACE");
  struct sigaction current, dfl;
  Dl_info where;
  void *handler;

  if (asked != NULL && asked[0] != '\0')
    return;
  if (sigaction (SIGTRAP, NULL, &current) != 0)
    return;
  handler = (current.sa_flags & SA_SIGINFO) ? (void *) current.sa_sigaction
      : (void *) current.sa_handler;
  if (handler == (void *) SIG_DFL || handler == (void *) SIG_IGN)
    return;
  if (dladdr (handler, &where) == 0 || where.dli_fname == NULL
      || strstr (where.dli_fname, "libswiftCore") == NULL)
    return;                     /* the host's own handler: not ours to touch */
  memset (&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset (&dfl.sa_mask);
  sigaction (SIGTRAP, &dfl, NULL);
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  give_sigtrap_back_to_the_host ();
  if (gsb_swift_plugin_init == NULL)
    return FALSE;
  return gsb_swift_plugin_init (plugin);
}

gboolean
gsb_register_static_plugin (void)
{
  return gst_plugin_register_static (GST_VERSION_MAJOR, GST_VERSION_MINOR,
      GSB_PLUGIN_NAME,
      "Multi-URI source bin with a REST control server, written in Swift",
      plugin_init, GSB_PLUGIN_VERSION, "MIT/X11", PACKAGE, PACKAGE,
      "https://github.com/swift-multiurisrc");
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, swiftmultiurisrc,
    "Multi-URI source bin with a REST control server, written in Swift",
    plugin_init, GSB_PLUGIN_VERSION, "MIT/X11", PACKAGE,
    "https://github.com/swift-multiurisrc")
