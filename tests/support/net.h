/* Test support: loopback ports for a test's own broker (tests/platform, the integration tests). */
#ifndef SW_TEST_NET_H
#define SW_TEST_NET_H

#include <stdbool.h>

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released); fails
 * the test when no socket can be had. */
int sw_test_free_port(void);

/* Whether something accepts connections on 127.0.0.1:port now. */
bool sw_test_port_open(int port);

#endif
