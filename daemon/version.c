/* Version string of the daemon. */
#include "daemon/version.h"

const char *sw_version(void)
{
        return SW_VERSION;
}
