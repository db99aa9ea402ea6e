/*
 * contracts.c — the C agent's copies of the GCS contracts whose one home is @uvmkit/hcs-schema
 * (gcs/constants.ts): the bridge, entropy and log ports, the vsock service-id template
 * (vsock_service_guid of dial.c) and the frame limits of gcsframe.h. Run plain, it checks the
 * copies agree with each other; run with `--table` it prints them, one `name value` per line, and
 * test/contracts.test.ts compares every line with the TypeScript home.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "gcsframe.h"
#include "uvmkit-gcs/dial.c"
#include "uvmkit-gcs/util.c"

gcs_config cfg; /* main.c's, for relay_dial (not called here) */

/* The ports the table prints the service id of: the three well-known ones and the edges. */
static const uint32_t ports[] = {0u, ENTROPY_PORT, LOG_PORT, GCS_PORT, GCS_PORT + 1u, 0x7fffffffu, 0xffffffffu};

static void print_table(void) {
  printf("GCS_PORT %" PRIu32 "\n", (uint32_t)GCS_PORT);
  printf("ENTROPY_PORT %" PRIu32 "\n", (uint32_t)ENTROPY_PORT);
  printf("LOG_PORT %" PRIu32 "\n", (uint32_t)LOG_PORT);
  printf("GCS_HEADER_SIZE %u\n", (unsigned)GCS_HEADER_SIZE);
  printf("GCS_MAX_FRAME %u\n", (unsigned)GCS_MAX_FRAME);
  for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
    char g[37];
    vsock_service_guid(ports[i], g);
    printf("vsock %" PRIu32 " %s\n", ports[i], g);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--table") == 0) {
    print_table();
    return 0;
  }
  char g[37], again[37];
  for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
    memset(g, 'x', sizeof g);
    vsock_service_guid(ports[i], g);
    CHECK(strlen(g) == 36);
    CHECK(g[8] == '-' && g[13] == '-' && g[18] == '-' && g[23] == '-');
    unsigned parsed = 0;
    CHECK(sscanf(g, "%8x", &parsed) == 1 && parsed == ports[i]);
    CHECK(strcmp(g + 8, "-facb-11e6-bd58-64006a7986d3") == 0);
    vsock_service_guid(ports[i], again);
    CHECK_STR(g, again);
  }
  /* the reply buffers of bridge.c are GCS_MAX_FRAME - GCS_HEADER_SIZE: a reply fits the limit */
  CHECK(GCS_MAX_FRAME > GCS_HEADER_SIZE);
  CHECK(GCS_HEADER_SIZE == 16u);
  return check_done();
}
