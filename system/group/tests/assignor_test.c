/*
 * assignor_test.c: the four assignors against known assignments (the javadoc examples
 * of RangeAssignor, RoundRobinAssignor and StickyAssignor, static members first, the
 * cooperative two-round hand-over, generation conflicts), then properties over inputs
 * from a fixed-seed generator: every partition assigned exactly once to a subscriber,
 * balance within one (roundrobin, sticky) when subscriptions are equal, stickiness,
 * cooperative-sticky never handing a partition another member owns and finishing in
 * the next round, and the same answer whatever order the members arrive in.
 *
 * The sticky javadoc's second example (C1 leaves) shows the pre-2.8 algorithm's
 * answer; the expected rows here follow today's ConstrainedAssignmentBuilder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/group/assignor.h"

#define SPEC_MEMBERS_MAX 6
#define SPEC_TOPICS_MAX 6
#define SPEC_OWNED_MAX 32
#define SPEC_TEXT_MAX 256

struct member_spec {
    const char *id;
    const char *instance; /* group.instance.id or NULL */
    const char *topics;   /* "t0 t1" */
    const char *owned;    /* "t0-0 t1-1" */
    int32_t generation;
    const char *expected; /* "t0-0 t0-1" */
};

struct case_spec {
    const char *name;
    enum assignor_kind kind;
    const char *topics; /* "t0:3 t1:3" */
    struct member_spec members[SPEC_MEMBERS_MAX];
};

static const struct case_spec cases[] = {
    {"range javadoc",
     ASSIGNOR_RANGE,
     "t0:3 t1:3",
     {{"C0", NULL, "t0 t1", "", -1, "t0-0 t0-1 t1-0 t1-1"},
      {"C1", NULL, "t0 t1", "", -1, "t0-2 t1-2"}}},
    {"range static members first",
     ASSIGNOR_RANGE,
     "t0:3",
     {{"a", NULL, "t0", "", -1, "t0-2"}, {"b", "i1", "t0", "", -1, "t0-0 t0-1"}}},
    {"range per topic subscribers",
     ASSIGNOR_RANGE,
     "t0:3 t1:2 t9:4",
     {{"C0", NULL, "t0 nope", "", -1, "t0-0 t0-1"},
      {"C1", NULL, "t0 t1", "", -1, "t0-2 t1-0 t1-1"}}},
    {"roundrobin javadoc",
     ASSIGNOR_ROUNDROBIN,
     "t0:3 t1:3",
     {{"C0", NULL, "t0 t1", "", -1, "t0-0 t0-2 t1-1"},
      {"C1", NULL, "t0 t1", "", -1, "t0-1 t1-0 t1-2"}}},
    {"roundrobin javadoc unequal",
     ASSIGNOR_ROUNDROBIN,
     "t0:1 t1:2 t2:3",
     {{"C0", NULL, "t0", "", -1, "t0-0"},
      {"C1", NULL, "t0 t1", "", -1, "t1-0"},
      {"C2", NULL, "t0 t1 t2", "", -1, "t1-1 t2-0 t2-1 t2-2"}}},
    {"sticky javadoc first",
     ASSIGNOR_STICKY,
     "t0:2 t1:2 t2:2 t3:2",
     {{"C0", NULL, "t0 t1 t2 t3", "", -1, "t0-0 t1-1 t3-0"},
      {"C1", NULL, "t0 t1 t2 t3", "", -1, "t0-1 t2-0 t3-1"},
      {"C2", NULL, "t0 t1 t2 t3", "", -1, "t1-0 t2-1"}}},
    {"sticky C1 leaves",
     ASSIGNOR_STICKY,
     "t0:2 t1:2 t2:2 t3:2",
     {{"C0", NULL, "t0 t1 t2 t3", "t0-0 t1-1 t3-0", 1, "t0-0 t0-1 t1-1 t3-0"},
      {"C2", NULL, "t0 t1 t2 t3", "t1-0 t2-1", 1, "t1-0 t2-0 t2-1 t3-1"}}},
    {"sticky general subscriptions",
     ASSIGNOR_STICKY,
     "t0:2 t1:2",
     {{"C0", NULL, "t0", "", -1, "t0-0 t0-1"}, {"C1", NULL, "t0 t1", "", -1, "t1-0 t1-1"}}},
    {"sticky same generation conflict",
     ASSIGNOR_STICKY,
     "t0:2",
     {{"C0", NULL, "t0", "t0-0", 3, "t0-0"}, {"C1", NULL, "t0", "t0-0 t0-1", 3, "t0-1"}}},
    {"sticky higher generation wins",
     ASSIGNOR_STICKY,
     "t0:2",
     {{"C0", NULL, "t0", "t0-0", 5, "t0-0"}, {"C1", NULL, "t0", "t0-0 t0-1", 4, "t0-1"}}},
    {"cooperative round one",
     ASSIGNOR_COOPERATIVE_STICKY,
     "t0:3",
     {{"C0", NULL, "t0", "t0-0 t0-1 t0-2", 1, "t0-0 t0-1"}, {"C1", NULL, "t0", "", -1, ""}}},
    {"cooperative round two",
     ASSIGNOR_COOPERATIVE_STICKY,
     "t0:3",
     {{"C0", NULL, "t0", "t0-0 t0-1", 2, "t0-0 t0-1"}, {"C1", NULL, "t0", "", 2, "t0-2"}}},
    {"cooperative conflict withheld",
     ASSIGNOR_COOPERATIVE_STICKY,
     "t0:2",
     {{"C0", NULL, "t0", "t0-0", 3, ""}, {"C1", NULL, "t0", "t0-0 t0-1", 3, "t0-1"}}},
    {"cooperative general",
     ASSIGNOR_COOPERATIVE_STICKY,
     "t0:2 t1:2",
     {{"C0", NULL, "t0", "", 1, "t0-1"}, {"C1", NULL, "t0 t1", "t0-0 t1-0 t1-1", 1, "t1-0 t1-1"}}},
};

/* ---- building inputs from text ---- */

struct built {
    char text[SPEC_TEXT_MAX * 4]; /* names point into here */
    uint32_t text_used;
    struct assignor_topic topics[SPEC_TOPICS_MAX];
    uint32_t topic_count;
    struct assignor_member members[SPEC_MEMBERS_MAX];
    uint32_t member_count;
    struct wire_string subs[SPEC_MEMBERS_MAX][SPEC_TOPICS_MAX];
    struct assignor_tp owned[SPEC_MEMBERS_MAX][SPEC_OWNED_MAX];
};

/* Copies the next space-separated word of *cursor into b->text; NULL at the end. */
static char *next_word(struct built *b, const char **cursor)
{
    while (**cursor == ' ')
        (*cursor)++;
    if (**cursor == '\0')
        return NULL;
    char *word = b->text + b->text_used;
    while (**cursor != '\0' && **cursor != ' ')
        b->text[b->text_used++] = *(*cursor)++;
    b->text[b->text_used++] = '\0';
    assert_true(b->text_used < sizeof(b->text));
    return word;
}

static void build_member(struct built *b, const struct member_spec *spec, uint32_t m)
{
    const char *cursor = spec->topics;
    char *word;
    struct assignor_member *member = &b->members[m];
    *member = (struct assignor_member){wire_string_from(spec->id),
                                       wire_string_from(spec->instance),
                                       0,
                                       b->subs[m],
                                       0,
                                       b->owned[m],
                                       spec->generation};
    while ((word = next_word(b, &cursor)) != NULL)
        b->subs[m][member->topic_count++] = wire_string_from(word);
    cursor = spec->owned;
    while ((word = next_word(b, &cursor)) != NULL) {
        char *dash = strrchr(word, '-');
        *dash = '\0';
        b->owned[m][member->owned_count++] =
            (struct assignor_tp){wire_string_from(word), atoi(dash + 1)};
    }
}

static void build(struct built *b, const struct case_spec *spec)
{
    const char *cursor = spec->topics;
    char *word;
    memset(b, 0, sizeof(*b));
    while ((word = next_word(b, &cursor)) != NULL) {
        char *colon = strchr(word, ':');
        *colon = '\0';
        b->topics[b->topic_count++] =
            (struct assignor_topic){wire_string_from(word), atoi(colon + 1)};
    }
    for (uint32_t m = 0; m < SPEC_MEMBERS_MAX && spec->members[m].id != NULL; m++) {
        build_member(b, &spec->members[m], m);
        b->member_count++;
    }
}

static void format_assignment(const struct assignor_member_assignment *a, char *out)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < a->partition_count; i++) {
        used += (size_t)snprintf(out + used, SPEC_TEXT_MAX - used, "%s%.*s-%d", i ? " " : "",
                                 (int)a->partitions[i].topic.length, a->partitions[i].topic.chars,
                                 a->partitions[i].partition);
        assert_true(used < SPEC_TEXT_MAX);
    }
}

static void test_known_assignments(void **state)
{
    for (uint32_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        struct built b;
        struct assignor_result result;
        char got[SPEC_TEXT_MAX];
        build(&b, &cases[c]);
        assert_int_equal(assignor_assign(cases[c].kind, b.topics, b.topic_count, b.members,
                                         b.member_count, &result),
                         KS_OK);
        for (uint32_t m = 0; m < b.member_count; m++) {
            format_assignment(&result.members[m], got);
            if (strcmp(got, cases[c].members[m].expected) != 0)
                fail_msg("%s: %s got [%s], expected [%s]", cases[c].name, cases[c].members[m].id,
                         got, cases[c].members[m].expected);
        }
        assignor_result_free(&result);
    }
}

static void test_names_and_bad_input(void **state)
{
    enum assignor_kind kind;
    assert_true(assignor_from_name(wire_string_from("cooperative-sticky"), &kind));
    assert_int_equal(kind, ASSIGNOR_COOPERATIVE_STICKY);
    assert_true(assignor_is_cooperative(kind));
    assert_false(assignor_from_name(wire_string_from("uniform"), &kind));
    assert_string_equal(assignor_name(ASSIGNOR_ROUNDROBIN), "roundrobin");
    struct built b;
    struct assignor_result result;
    build(&b, &cases[0]);
    b.members[1].member_id = wire_string_from("C0"); /* duplicate member id */
    assert_int_equal(assignor_assign(ASSIGNOR_RANGE, b.topics, b.topic_count, b.members,
                                     b.member_count, &result),
                     KS_ERR_INVALID);
    build(&b, &cases[0]);
    b.topics[1].partition_count = -1;
    assert_int_equal(assignor_assign(ASSIGNOR_STICKY, b.topics, b.topic_count, b.members,
                                     b.member_count, &result),
                     KS_ERR_INVALID);
    b.topics[1].partition_count = (int32_t)ASSIGNOR_PARTITIONS_MAX;
    assert_int_equal(assignor_assign(ASSIGNOR_STICKY, b.topics, b.topic_count, b.members,
                                     b.member_count, &result),
                     KS_ERR_TOO_MANY);
    /* No members: nothing to do, nothing fails. */
    assert_int_equal(assignor_assign(ASSIGNOR_STICKY, b.topics, 1, b.members, 0, &result), KS_OK);
    assignor_result_free(&result);
}

/* ---- properties over generated inputs ---- */

#define PROP_ROUNDS 400
#define PROP_PARTITIONS_MAX 64

struct world {
    uint64_t seed;
    char names[SPEC_TOPICS_MAX + SPEC_MEMBERS_MAX * 2][16];
    struct assignor_topic topics[SPEC_TOPICS_MAX];
    uint32_t topic_count;
    struct wire_string subs[SPEC_MEMBERS_MAX][SPEC_TOPICS_MAX];
    struct assignor_member members[SPEC_MEMBERS_MAX];
    uint32_t member_count;
    struct assignor_tp owned[SPEC_MEMBERS_MAX][PROP_PARTITIONS_MAX];
};

static uint32_t world_random(struct world *w, uint32_t bound)
{
    w->seed ^= w->seed << 13;
    w->seed ^= w->seed >> 7;
    w->seed ^= w->seed << 17;
    return (uint32_t)(w->seed >> 16) % bound;
}

/* Topics with 0-12 partitions (at most 64 in all); members subscribed to all or some. */
static void world_generate(struct world *w, bool equal_subscriptions)
{
    uint32_t total = 0;
    w->topic_count = 1 + world_random(w, 4);
    for (uint32_t t = 0; t < w->topic_count; t++) {
        snprintf(w->names[t], sizeof(w->names[t]), "t%u", t % 100u);
        int32_t n = (int32_t)world_random(w, 13);
        if (total + (uint32_t)n > PROP_PARTITIONS_MAX)
            n = 0;
        total += (uint32_t)n;
        w->topics[t] = (struct assignor_topic){wire_string_from(w->names[t]), n};
    }
    w->member_count = 1 + world_random(w, SPEC_MEMBERS_MAX);
    for (uint32_t m = 0; m < w->member_count; m++) {
        char *id = w->names[SPEC_TOPICS_MAX + m];
        snprintf(id, 16, "m%u", (world_random(w, 90) * 10 + m) % 1000u); /* last digit: unique */
        w->members[m] = (struct assignor_member){
            wire_string_from(id), wire_string_null(), 0, w->subs[m], 0, w->owned[m], -1};
        for (uint32_t t = 0; t < w->topic_count; t++) {
            if (equal_subscriptions || world_random(w, 3) > 0 || t == 0)
                w->subs[m][w->members[m].topic_count++] = w->topics[t].name;
        }
    }
}

/* The previous round's result becomes each member's owned partitions. */
static void world_take_ownership(struct world *w, const struct assignor_result *r,
                                 int32_t generation)
{
    for (uint32_t m = 0; m < w->member_count; m++) {
        w->members[m].owned_count = r->members[m].partition_count;
        memcpy(w->owned[m], r->members[m].partitions,
               r->members[m].partition_count * sizeof(struct assignor_tp));
        w->members[m].generation = generation;
    }
}

/* Drops one member (its partitions become free) and maybe adds a fresh one. */
static void world_churn(struct world *w)
{
    if (w->member_count > 1) {
        uint32_t gone = world_random(w, w->member_count);
        w->members[gone] = w->members[w->member_count - 1];
        memcpy(w->owned[gone], w->owned[w->member_count - 1], sizeof(w->owned[gone]));
        memcpy(w->subs[gone], w->subs[w->member_count - 1], sizeof(w->subs[gone]));
        w->members[gone].owned = w->owned[gone];
        w->members[gone].topics = w->subs[gone];
        w->member_count--;
    }
    if (world_random(w, 2) == 0) {
        uint32_t m = w->member_count++;
        char *id = w->names[SPEC_TOPICS_MAX + SPEC_MEMBERS_MAX + m];
        snprintf(id, 16, "n%u", m % 100u);
        w->members[m] = w->members[0];
        memcpy(w->subs[m], w->subs[0], sizeof(w->subs[m]));
        w->members[m].topics = w->subs[m];
        w->members[m].member_id = wire_string_from(id);
        w->members[m].owned = w->owned[m];
        w->members[m].owned_count = 0;
    }
}

static uint32_t topic_index(const struct world *w, struct wire_string name)
{
    for (uint32_t t = 0; t < w->topic_count; t++) {
        if (wire_string_equal(w->topics[t].name, name))
            return t;
    }
    fail_msg("unknown topic %.*s", (int)name.length, name.chars);
    return 0;
}

static bool member_subscribes(const struct assignor_member *m, struct wire_string topic)
{
    for (uint32_t i = 0; i < m->topic_count; i++) {
        if (wire_string_equal(m->topics[i], topic))
            return true;
    }
    return false;
}

/* Who got each partition: owners[t][p] = member index or -1; fails on a double. */
static void collect_owners(const struct world *w, const struct assignor_result *r,
                           int32_t owners[SPEC_TOPICS_MAX][PROP_PARTITIONS_MAX])
{
    for (uint32_t t = 0; t < SPEC_TOPICS_MAX; t++)
        for (uint32_t p = 0; p < PROP_PARTITIONS_MAX; p++)
            owners[t][p] = -1;
    for (uint32_t m = 0; m < r->member_count; m++) {
        for (uint32_t i = 0; i < r->members[m].partition_count; i++) {
            const struct assignor_tp *tp = &r->members[m].partitions[i];
            uint32_t t = topic_index(w, tp->topic);
            assert_true(member_subscribes(&w->members[m], tp->topic));
            assert_int_equal(owners[t][tp->partition], -1); /* at most once */
            owners[t][tp->partition] = (int32_t)m;
        }
    }
}

static bool anyone_subscribes(const struct world *w, struct wire_string topic)
{
    for (uint32_t m = 0; m < w->member_count; m++) {
        if (member_subscribes(&w->members[m], topic))
            return true;
    }
    return false;
}

static void expect_complete(const struct world *w, const struct assignor_result *r)
{
    int32_t owners[SPEC_TOPICS_MAX][PROP_PARTITIONS_MAX];
    collect_owners(w, r, owners);
    for (uint32_t t = 0; t < w->topic_count; t++) {
        bool wanted = anyone_subscribes(w, w->topics[t].name);
        for (int32_t p = 0; p < w->topics[t].partition_count; p++)
            assert_int_equal(owners[t][p] >= 0, wanted); /* exactly once */
    }
}

static void expect_balanced(const struct assignor_result *r)
{
    uint32_t low = UINT32_MAX, high = 0;
    for (uint32_t m = 0; m < r->member_count; m++) {
        uint32_t n = r->members[m].partition_count;
        low = n < low ? n : low;
        high = n > high ? n : high;
    }
    assert_true(high <= low + 1);
}

static uint32_t total_partitions(const struct world *w)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < w->topic_count; t++)
        n += (uint32_t)w->topics[t].partition_count;
    return n;
}

/* Each member keeps at least min(owned, floor(P/C)) of what it owned. */
static void expect_sticky(const struct world *w, const struct assignor_result *r)
{
    uint32_t quota = total_partitions(w) / w->member_count;
    for (uint32_t m = 0; m < w->member_count; m++) {
        uint32_t kept = 0;
        for (uint32_t i = 0; i < w->members[m].owned_count; i++) {
            for (uint32_t j = 0; j < r->members[m].partition_count; j++) {
                const struct assignor_tp *a = &w->members[m].owned[i];
                const struct assignor_tp *b = &r->members[m].partitions[j];
                kept += wire_string_equal(a->topic, b->topic) && a->partition == b->partition;
            }
        }
        uint32_t owned = w->members[m].owned_count;
        assert_true(kept >= (owned < quota ? owned : quota));
    }
}

/* No member is handed a partition another member still owns. */
static void expect_no_double_ownership(const struct world *w, const struct assignor_result *r)
{
    for (uint32_t m = 0; m < r->member_count; m++) {
        for (uint32_t i = 0; i < r->members[m].partition_count; i++) {
            const struct assignor_tp *a = &r->members[m].partitions[i];
            for (uint32_t o = 0; o < w->member_count; o++) {
                for (uint32_t j = 0; o != m && j < w->members[o].owned_count; j++) {
                    const struct assignor_tp *b = &w->members[o].owned[j];
                    assert_false(wire_string_equal(a->topic, b->topic) &&
                                 a->partition == b->partition);
                }
            }
        }
    }
}

/* Same input, members in reverse order: same partitions per member id. */
static void expect_order_independent(const struct world *w, enum assignor_kind kind,
                                     const struct assignor_result *r)
{
    struct assignor_member reversed[SPEC_MEMBERS_MAX];
    struct assignor_result again;
    char a[SPEC_TEXT_MAX * 2], b[SPEC_TEXT_MAX * 2];
    for (uint32_t m = 0; m < w->member_count; m++)
        reversed[m] = w->members[w->member_count - 1 - m];
    assert_int_equal(
        assignor_assign(kind, w->topics, w->topic_count, reversed, w->member_count, &again), KS_OK);
    for (uint32_t m = 0; m < w->member_count; m++) {
        format_assignment(&r->members[m], a);
        format_assignment(&again.members[w->member_count - 1 - m], b);
        assert_string_equal(a, b);
    }
    assignor_result_free(&again);
}

static void assign_world(const struct world *w, enum assignor_kind kind, struct assignor_result *r)
{
    assert_int_equal(
        assignor_assign(kind, w->topics, w->topic_count, w->members, w->member_count, r), KS_OK);
    expect_order_independent(w, kind, r);
}

/* One round from nothing, then churn and a sticky round from the result. */
static void property_round(struct world *w, enum assignor_kind kind, bool equal)
{
    struct assignor_result first, second;
    world_generate(w, equal);
    assign_world(w, kind, &first);
    expect_complete(w, &first);
    if (equal && kind != ASSIGNOR_RANGE)
        expect_balanced(&first);
    world_take_ownership(w, &first, 1);
    assignor_result_free(&first);
    world_churn(w);
    assign_world(w, kind, &second);
    expect_complete(w, &second);
    if (equal && kind != ASSIGNOR_RANGE)
        expect_balanced(&second);
    if (equal && kind == ASSIGNOR_STICKY)
        expect_sticky(w, &second);
    assignor_result_free(&second);
}

static void test_properties(void **state)
{
    static const enum assignor_kind kinds[] = {ASSIGNOR_RANGE, ASSIGNOR_ROUNDROBIN,
                                               ASSIGNOR_STICKY};
    struct world w = {.seed = 0x5eed0001u};
    for (uint32_t round = 0; round < PROP_ROUNDS; round++) {
        for (uint32_t k = 0; k < KS_ARRAY_COUNT(kinds); k++) {
            property_round(&w, kinds[k], true);
            property_round(&w, kinds[k], false);
        }
    }
}

/* Cooperative: round one never hands over an owned partition; round two completes. */
static void cooperative_round(struct world *w, bool equal)
{
    struct assignor_result first, second, third;
    world_generate(w, equal);
    assign_world(w, ASSIGNOR_COOPERATIVE_STICKY, &first);
    expect_complete(w, &first); /* nobody owned anything: nothing withheld */
    world_take_ownership(w, &first, 1);
    assignor_result_free(&first);
    world_churn(w);
    assign_world(w, ASSIGNOR_COOPERATIVE_STICKY, &second);
    expect_no_double_ownership(w, &second);
    world_take_ownership(w, &second, 2); /* owners revoked what they lost */
    assignor_result_free(&second);
    assign_world(w, ASSIGNOR_COOPERATIVE_STICKY, &third);
    expect_no_double_ownership(w, &third);
    if (equal) {
        expect_complete(w, &third);
        expect_balanced(&third);
    }
    assignor_result_free(&third);
}

static void test_cooperative_properties(void **state)
{
    struct world w = {.seed = 0x5eed0002u};
    for (uint32_t round = 0; round < PROP_ROUNDS; round++) {
        cooperative_round(&w, true);
        cooperative_round(&w, false);
    }
}

/* ---- between subscriptions and assignments ---- */

static void test_owned_from_subscription(void **state)
{
    int32_t p01[] = {0, 1}, p2[] = {2};
    struct cproto_topic_partitions tps[2] = {{wire_string_from("t0"), 2, p01},
                                             {wire_string_from("t1"), 1, p2}};
    struct wire_string topics[1] = {wire_string_from("t0")};
    struct cproto_sticky_user_data sticky = {2, tps, 4};
    struct wire_writer user_data;
    struct assignor_tp *owned;
    uint32_t owned_count;
    int32_t generation;
    wire_writer_init(&user_data);
    cproto_sticky_user_data_encode(&user_data, &sticky);
    struct cproto_subscription s = {
        0, 1,    topics, {user_data.bytes, (int32_t)user_data.size_bytes},
        0, NULL, -1,     wire_string_null()};
    assignor_owned_from_subscription(ASSIGNOR_STICKY, &s, &owned, &owned_count, &generation);
    assert_int_equal(owned_count, 3);
    assert_int_equal(generation, 4);
    assert_true(wire_string_equal_cstr(owned[2].topic, "t1"));
    assert_int_equal(owned[2].partition, 2);
    free(owned);
    /* Cooperative v2+: OwnedPartitions and GenerationId. */
    s = (struct cproto_subscription){2, 1, topics, {NULL, -1}, 2, tps, 9, wire_string_null()};
    assignor_owned_from_subscription(ASSIGNOR_COOPERATIVE_STICKY, &s, &owned, &owned_count,
                                     &generation);
    assert_int_equal(owned_count, 3);
    assert_int_equal(generation, 9);
    free(owned);
    /* Cooperative v1: the generation from the user data. */
    wire_writer_reset(&user_data);
    cproto_cooperative_user_data_encode(&user_data, 6);
    s = (struct cproto_subscription){1, 1,   topics, {user_data.bytes, 4},
                                     1, tps, -1,     wire_string_null()};
    assignor_owned_from_subscription(ASSIGNOR_COOPERATIVE_STICKY, &s, &owned, &owned_count,
                                     &generation);
    assert_int_equal(owned_count, 2);
    assert_int_equal(generation, 6);
    free(owned);
    /* Range owns nothing; garbage sticky user data counts as nothing. */
    s.user_data.size_bytes = 3;
    assignor_owned_from_subscription(ASSIGNOR_STICKY, &s, &owned, &owned_count, &generation);
    assert_int_equal(owned_count, 0);
    assert_int_equal(generation, -1);
    free(owned);
    assignor_owned_from_subscription(ASSIGNOR_RANGE, &s, &owned, &owned_count, &generation);
    assert_int_equal(owned_count, 0);
    free(owned);
    wire_writer_free(&user_data);
}

/* Range's javadoc result for C0 as the SyncGroup payload: grouped by topic. */
static void test_to_cproto_assignment(void **state)
{
    static const uint8_t golden_c0[] = {
        0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 't',  '0',  0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't',  '1',  0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff};
    struct built b;
    struct assignor_result result;
    struct cproto_assignment a;
    struct wire_writer w;
    build(&b, &cases[0]);
    assert_int_equal(assignor_assign(ASSIGNOR_RANGE, b.topics, b.topic_count, b.members,
                                     b.member_count, &result),
                     KS_OK);
    assignor_to_cproto_assignment(&result.members[0], 1, &a);
    wire_writer_init(&w);
    cproto_assignment_encode(&w, &a);
    assert_int_equal(w.size_bytes, sizeof(golden_c0));
    assert_memory_equal(w.bytes, golden_c0, sizeof(golden_c0));
    cproto_assignment_free(&a);
    assignor_to_cproto_assignment(&result.members[1], 0, &a); /* t0-2 t1-2 */
    assert_int_equal(a.topic_count, 2);
    assert_int_equal(a.assigned_partitions[1].partitions[0], 2);
    cproto_assignment_free(&a);
    wire_writer_free(&w);
    assignor_result_free(&result);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_assignments),
        cmocka_unit_test(test_names_and_bad_input),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_cooperative_properties),
        cmocka_unit_test(test_owned_from_subscription),
        cmocka_unit_test(test_to_cproto_assignment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
