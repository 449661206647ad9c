/* The learnt evidence scales kept in the database (meta key "tuning"). */
#ifndef SW_TUNING_STORE_H
#define SW_TUNING_STORE_H

struct sw_daemon;

/* Restore the learnt scales; an unreadable blob is logged and the scales stay neutral. */
void sw_tuning_store_restore(struct sw_daemon *d);
/* Save the learnt scales; 0 or -errno. */
int sw_tuning_store_persist(struct sw_daemon *d);

#endif
