/*
 * gmeta.h: one classic consumer group as its coordinator holds it: state, generation,
 * protocol, leader, members (in member id order) with their offered protocols and
 * assignments, members waiting for a JoinGroup or SyncGroup answer, member ids handed
 * out by the MEMBER_ID_REQUIRED handshake, and the group's committed offsets (in topic,
 * partition order). Kafka: GroupMetadata, MemberMetadata, CommitRecordMetadataAndOffset.
 *
 * Pure data and the rules on it: no timers, no I/O. gcoord.c drives it. Every state
 * change goes through gmeta_set_state, which asserts the transition is one Kafka's
 * GroupState allows and traces it. Strings and bytes held here are owned copies.
 */
#ifndef KS_GROUP_GMETA_H
#define KS_GROUP_GMETA_H

#include "system/env.h"
#include "system/proto/api_join_group.h"
#include "system/proto/api_sync_group.h"

/* Named limits. */
#define GMETA_MEMBERS_MAX 1024u         /* members of one group (group.max.size) */
#define GMETA_PENDING_MEMBERS_MAX 1024u /* ids handed out, not yet joined with */
#define GMETA_PROTOCOLS_MAX 32u         /* protocols one member may offer */
#define GMETA_OFFSETS_MAX 65536u        /* committed partitions of one group */
#define GMETA_METADATA_BYTES_MAX 4096   /* offsets.metadata.max.bytes */

enum gmeta_state {
    GMETA_EMPTY,
    GMETA_PREPARING_REBALANCE,
    GMETA_COMPLETING_REBALANCE,
    GMETA_STABLE,
    GMETA_DEAD,
};
#define GMETA_STATE_COUNT 5

/* Kafka's names: "Empty", "PreparingRebalance", ... */
const char *gmeta_state_name(enum gmeta_state state);

typedef void (*gmeta_join_done_fn)(void *ctx, const struct api_join_group_response *response);
typedef void (*gmeta_sync_done_fn)(void *ctx, const struct api_sync_group_response *response);

struct gmeta_protocol {
    struct wire_string name;    /* owned */
    struct wire_bytes metadata; /* owned */
};

struct gmeta;

struct gmeta_member {
    struct gmeta *group;
    struct wire_string member_id;         /* owned */
    struct wire_string group_instance_id; /* owned, nullable: static membership */
    struct wire_string client_id;         /* owned */
    struct wire_string client_host;       /* owned */
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    uint32_t protocol_count;
    struct gmeta_protocol *protocols; /* in the member's order of preference */
    struct wire_bytes assignment;     /* owned; size 0 before the leader's SyncGroup */
    uint64_t join_seq;                /* order of first join: the first joiner leads */
    int32_t generation;               /* the generation it last joined, -1 none */
    uint64_t session_deadline_ns;     /* monotonic; past it the member expires */
    env_timer_id session_timer;       /* fires at or before the deadline */
    bool awaiting_join;               /* a JoinGroup waits for the join phase */
    bool sync_pending;                /* joined this generation, no SyncGroup yet */
    gmeta_join_done_fn join_done;     /* set while awaiting_join */
    void *join_ctx;
    gmeta_sync_done_fn sync_done; /* a SyncGroup waiting for the assignment */
    void *sync_ctx;
};

struct gmeta_pending_member {
    struct wire_string member_id; /* owned */
    uint64_t deadline_ns;         /* forgotten after a session timeout */
};

struct gmeta_offset {
    struct wire_string topic; /* owned */
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    struct wire_string metadata; /* owned, nullable */
    int64_t commit_timestamp_ms;
    int64_t expire_timestamp_ms; /* -1: by the retention setting */
};

struct gmeta {
    void *coordinator; /* the struct gcoord holding it (borrowed) */
    struct env *env;
    struct wire_string group_id; /* owned */
    int32_t partition;           /* of __consumer_offsets */
    enum gmeta_state state;
    int64_t state_timestamp_ms; /* wall clock of the last state change */
    int32_t generation;
    uint32_t generation_member_count; /* members the generation formed with */
    struct wire_string protocol_type; /* owned, nullable until a member joins */
    struct wire_string protocol;      /* owned, nullable: selected at a join's end */
    struct wire_string leader;        /* owned, nullable */
    struct gmeta_member **members;    /* by member id */
    uint32_t member_count;
    struct gmeta_pending_member *pending; /* by member id */
    uint32_t pending_count;
    struct gmeta_offset *offsets; /* by topic, partition */
    uint32_t offset_count;
    uint32_t offset_capacity;
    /* The join phase (DelayedJoin, InitialDelayedJoin). */
    env_timer_id join_timer;
    bool initial_delay_active;
    bool new_member_added;
    int64_t initial_delay_remaining_ms;
    env_timer_id sync_timer; /* KAFKA-12890: SyncGroup deadline */
    uint32_t appends_in_flight;
};

/* A new group in state Empty, generation 0. */
struct gmeta *gmeta_create(struct env *env, void *coordinator, struct wire_string group_id,
                           int32_t partition);
/* Frees the group, its members and offsets. Timers must be cancelled and waiters
 * answered by the caller first. */
void gmeta_free(struct gmeta *group);

/* Asserts the transition is legal, records the time, traces it. */
void gmeta_set_state(struct gmeta *group, enum gmeta_state state, const char *reason);
/* Whether Kafka's GroupState allows from -> to. */
bool gmeta_transition_legal(enum gmeta_state from, enum gmeta_state to);

/* ---- Members ------------------------------------------------------------------- */

struct gmeta_member *gmeta_member_find(const struct gmeta *group, struct wire_string member_id);
struct gmeta_member *gmeta_member_find_static(const struct gmeta *group,
                                              struct wire_string group_instance_id);
/* A member from a JoinGroup request (copies what it needs). The caller inserts it. */
struct gmeta_member *gmeta_member_create(struct gmeta *group, struct wire_string member_id,
                                         const struct api_join_group_request *request,
                                         struct wire_string client_id,
                                         struct wire_string client_host, uint64_t join_seq);
/* Replaces the member's offered protocols and timeouts with a request's. */
void gmeta_member_update(struct gmeta_member *member, const struct api_join_group_request *request);
/* Whether the request offers exactly the protocols (names and metadata) the member has. */
bool gmeta_member_same_protocols(const struct gmeta_member *member,
                                 const struct api_join_group_request *request);
void gmeta_member_insert(struct gmeta *group, struct gmeta_member *member);
/* Takes the member out of the table (and the leader slot); does not free it. */
void gmeta_member_remove(struct gmeta *group, struct gmeta_member *member);
void gmeta_member_free(struct gmeta_member *member);
/* Gives the member a new id, keeping the table sorted (static member replacement). */
void gmeta_member_rename(struct gmeta *group, struct gmeta_member *member,
                         struct wire_string member_id);
void gmeta_member_set_assignment(struct gmeta_member *member, struct wire_bytes assignment);
/* The member's metadata for the group's selected protocol (null bytes if none). */
struct wire_bytes gmeta_member_metadata(const struct gmeta *group,
                                        const struct gmeta_member *member);
bool gmeta_is_leader(const struct gmeta *group, const struct gmeta_member *member);

/* Pending member ids (KIP-394): add, find (dropping expired ones), remove. */
KS_MUST_CHECK enum ks_err gmeta_pending_add(struct gmeta *group, struct wire_string member_id,
                                            uint64_t deadline_ns);
bool gmeta_pending_take(struct gmeta *group, struct wire_string member_id, uint64_t now_ns);
void gmeta_pending_prune(struct gmeta *group, uint64_t now_ns);

/* ---- Protocols ----------------------------------------------------------------- */

/*
 * Whether a joining member fits the group (GroupMetadata.isSubscribedTo... and
 * supportsProtocols): the protocol type matches, and one of its protocol names is
 * offered by every current member (any when the group has no members).
 */
bool gmeta_protocols_supported(const struct gmeta *group,
                               const struct api_join_group_request *request);
/*
 * GroupMetadata.selectProtocol: among the protocols every member offers, the one most
 * members list first; ties go to the name first in byte order (Kafka's is hash order).
 * Returns false when no protocol is common.
 */
bool gmeta_select_protocol(const struct gmeta *group, struct wire_string *out);
void gmeta_set_string(struct wire_string *field, struct wire_string value);

/* ---- Offsets ------------------------------------------------------------------- */

struct gmeta_offset *gmeta_offset_find(const struct gmeta *group, struct wire_string topic,
                                       int32_t partition);
/* Inserts or replaces (copies topic and metadata). Errors: KS_ERR_TOO_MANY. */
KS_MUST_CHECK enum ks_err gmeta_offset_put(struct gmeta *group, const struct gmeta_offset *offset);
/* Removes the offset if present. */
void gmeta_offset_delete(struct gmeta *group, struct wire_string topic, int32_t partition);

/* Owned copies of views (null stays null). */
struct wire_string gmeta_string_dup(struct wire_string s);
struct wire_bytes gmeta_bytes_dup(struct wire_bytes b);
void gmeta_string_free(struct wire_string *s);
void gmeta_bytes_free(struct wire_bytes *b);
/* Byte-wise order of two strings (null first): the order members and groups sort in. */
int gmeta_string_compare(struct wire_string a, struct wire_string b);

#endif
