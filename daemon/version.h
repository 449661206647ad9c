/* Version string of the daemon. */
#ifndef SW_VERSION_H
#define SW_VERSION_H
const char *sw_version(void);
#endif
