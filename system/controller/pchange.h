/*
 * pchange.h: the controller's decisions about one partition, pure functions over the
 * metadata image: leader election, ISR changes asked for with AlterPartition, and the
 * partition changes that fencing, unfencing and controlled shutdown of a broker
 * cause. Kafka: PartitionChangeBuilder (electLeader, build), ReplicationControlManager
 * (alterPartition validation, generateLeaderAndIsrUpdates, handleBrokerFenced,
 * handleBrokerUnfenced, handleBrokerInControlledShutdown), KIP-841 (only active
 * brokers lead or join an ISR), KAFKA-15021 (ISR-only changes keep the leader epoch).
 *
 * This is the seam for a ZooKeeper-mode controller: nothing here knows how metadata
 * is stored; decisions come out as PartitionChangeRecords (struct mrec), which the
 * KRaft controller appends to its log and a ZK controller would turn into znode
 * writes. The image is read only. A broker about to change state (fenced, unfenced)
 * is named in the context, since its record is not in the image yet.
 */
#ifndef KS_CONTROLLER_PCHANGE_H
#define KS_CONTROLLER_PCHANGE_H

#include "system/controller/mimage.h"

#define PCHANGE_NO_BROKER (-1)

struct pchange_context {
    const struct mimage *img;
    bool unclean_leader_election; /* broker default; a topic config overrides it */
    /* Bug switch KS_BUG_CTRL_ELECT_OUTSIDE_ISR: elect the first active replica,
     * ignoring the ISR and leaving the ISR as it is. */
    bool bug_elect_outside_isr;
    int32_t broker_going_down; /* being fenced or shut down: inactive */
    int32_t broker_coming_up;  /* being unfenced: active */
};

/* Context over an image with no broker changing state. */
void pchange_context_init(struct pchange_context *ctx, const struct mimage *img,
                          bool unclean_leader_election);

/* Whether the broker may lead and be in an ISR, in this context. */
bool pchange_broker_acceptable(const struct pchange_context *ctx, int32_t broker_id);

/*
 * Kafka's electLeader: keep the current leader if it is in isr and acceptable; else
 * the first replica in assignment order that is in isr and acceptable; else, when
 * unclean election is on for the topic, the first acceptable replica (*unclean_out
 * set); else -1.
 */
int32_t pchange_elect_leader(const struct pchange_context *ctx, const struct mimage_topic *topic,
                             const struct mimage_partition *p, const int32_t *isr,
                             uint32_t isr_count, bool *unclean_out);

/*
 * Builds the PartitionChangeRecord that moves partition p of topic to target_isr
 * (NULL: keep the ISR) and elects a leader for it. Returns false (and leaves *out
 * unspecified) when nothing would change. An unclean election sets the ISR to the new
 * leader alone and the leader recovery state to RECOVERING.
 */
bool pchange_build(const struct pchange_context *ctx, const struct mimage_topic *topic,
                   int32_t partition_id, const int32_t *target_isr, uint32_t target_isr_count,
                   struct mrec *out);

/* Receives each record a bulk decision makes, in topic name and partition order. */
typedef void (*pchange_emit_fn)(void *emit_ctx, const struct mrec *rec);

/*
 * ctx->broker_going_down is leaving (fenced or shutting down): it is removed from every
 * ISR (an ISR it alone holds stays, leaderless: Kafka keeps the last member) and loses
 * every leadership. Returns the number of records emitted.
 */
uint32_t pchange_broker_down(const struct pchange_context *ctx, pchange_emit_fn emit,
                             void *emit_ctx);
/*
 * ctx->broker_coming_up is unfenced: every leaderless partition it holds a replica of
 * gets an election. Returns the number of records emitted.
 */
uint32_t pchange_broker_up(const struct pchange_context *ctx, pchange_emit_fn emit, void *emit_ctx);

/* An AlterPartition (v3) entry for one partition. */
struct pchange_alter {
    int32_t broker_id; /* the requesting leader */
    struct wire_uuid topic_id;
    int32_t partition_id;
    int32_t leader_epoch;
    int32_t partition_epoch;
    uint32_t isr_count;
    int32_t isr[MREC_REPLICAS_MAX];
    int64_t isr_broker_epochs[MREC_REPLICAS_MAX]; /* -1: not checked (before v3) */
};

/*
 * Validates an ISR change as ReplicationControlManager.alterPartition does, in order:
 * UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION; FENCED_LEADER_EPOCH when the leader
 * epoch differs; INVALID_REQUEST when the requester is not the leader;
 * INVALID_UPDATE_VERSION when the partition epoch differs; INVALID_REQUEST for an ISR
 * that is empty, repeats a broker, names a non-replica or leaves out the leader;
 * INELIGIBLE_REPLICA for a member that is fenced, shutting down or of another broker
 * epoch. On KS_OK, *has_record says whether *out holds a change (an ISR equal to the
 * current one changes nothing).
 */
KS_MUST_CHECK enum ks_err pchange_alter_partition(const struct pchange_context *ctx,
                                                  const struct pchange_alter *alter,
                                                  struct mrec *out, bool *has_record);

#endif
