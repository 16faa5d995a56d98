/*
 * gcoord_int.h: what the coordinator's files share (gcoord.c: membership and
 * rebalances; gcoord_store.c: records, offsets, loading; gcoord_check.c). Not for
 * other modules. Kafka: GroupCoordinator, GroupMetadataManager.
 */
#ifndef KS_GROUP_GCOORD_INT_H
#define KS_GROUP_GCOORD_INT_H

#include "system/group/gcoord.h"

#define GCOORD_NS_PER_MS 1000000ull

/* What runs when an append completes (or is dropped: err NOT_COORDINATOR). */
typedef void (*gcoord_append_fn)(struct gcoord *c, void *data, enum ks_err err);

struct gcoord_append {
    uint64_t id;
    int32_t partition;
    gcoord_append_fn on_done;
    void (*free_data)(void *data);
    void *data; /* owned */
};

/* One record to write: key and value as encoded by offrec; a NULL value deletes. */
struct gcoord_record {
    struct wire_writer key;
    struct wire_writer value;
    bool tombstone;
};

/* gcoord.c */
enum ks_err gcoord_partition_error(const struct gcoord *c, struct wire_string group_id);
struct gmeta *gcoord_group_get_or_create(struct gcoord *c, struct wire_string group_id);
void gcoord_group_remove(struct gcoord *c, struct gmeta *group, enum ks_err answer_err);
void gcoord_member_touch(struct gcoord *c, struct gmeta_member *member);
/* Kafka's mapping of a failed append to what the client is told. */
enum ks_err gcoord_append_error(enum ks_err err);
int16_t gcoord_wire_error(enum ks_err err);

/* gcoord_store.c */
/* Appends records to the group's partition; takes ownership of data and the records'
 * writers. on_done runs later (or now, when the batch cannot be built). */
void gcoord_append_records(struct gcoord *c, int32_t partition, struct gcoord_record *records,
                           uint32_t count, gcoord_append_fn on_done, void *data,
                           void (*free_data)(void *data));
/* Writes the group's GroupMetadata record (a tombstone when tombstone is set). */
void gcoord_store_group(struct gcoord *c, struct gmeta *group, bool tombstone,
                        gcoord_append_fn on_done, void *data, void (*free_data)(void *data));
void gcoord_group_record(struct gmeta *group, bool tombstone, struct gcoord_record *out);
/* Answers and drops the appends of a partition (unload) or all (free). */
void gcoord_appends_drop(struct gcoord *c, int32_t partition, bool answer);
void gcoord_retention_timer_fire(void *ctx);

#endif
