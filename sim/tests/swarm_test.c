/*
 * swarm_test.c: the pure parts of the harness as a product: the shard split and job
 * mapping of ksim swarm, replay files both ways (and every kind of bad file), trace
 * lines read back, narration sentences, the generator's worlds (they parse, and one
 * seed gives one world), and the shrinker's steps on synthetic scripts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../explain.h"
#include "../gen.h"
#include "../narrate.h"
#include "../replay.h"
#include "../shrink.h"
#include "../swarm.h"
#include "../tracelog.h"

#define NS_PER_S 1000000000ull

/* ---- Shards and jobs ------------------------------------------------------------------- */

static void shard_parse_cases(void **state)
{
    static const struct {
        const char *text;
        bool ok;
        uint64_t index;
        uint64_t count;
    } cases[] = {
        {"0/1", true, 0, 1},   {"3/4", true, 3, 4},  {"4/4", false, 0, 0}, {"1/0", false, 0, 0},
        {"-1/4", false, 0, 0}, {"1", false, 0, 0},   {"1/", false, 0, 0},  {"/4", false, 0, 0},
        {"1/4x", false, 0, 0}, {"a/b", false, 0, 0}, {"", false, 0, 0},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct swarm_shard shard = {0, 0};
        bool ok = swarm_shard_parse(cases[i].text, &shard);
        assert_int_equal(ok, cases[i].ok);
        if (ok) {
            assert_int_equal(shard.index, cases[i].index);
            assert_int_equal(shard.count, cases[i].count);
        }
    }
}

/* N shards cover every job exactly once, whatever N. */
static void shards_disjoint_and_complete(void **state)
{
    enum { JOBS = 600 };
    for (uint64_t n = 1; n <= 7; n++) {
        uint8_t seen[JOBS] = {0};
        for (uint64_t i = 0; i < n; i++) {
            struct swarm_shard shard = {i, n};
            for (uint64_t j = 0; swarm_shard_job(&shard, j) < JOBS; j++)
                seen[swarm_shard_job(&shard, j)]++;
        }
        for (int job = 0; job < JOBS; job++)
            assert_int_equal(seen[job], 1);
    }
}

static void job_split_scenarios_and_seeds(void **state)
{
    uint32_t scenario = 0;
    uint64_t seed = 0;
    swarm_job_split(0, 3, 10, &scenario, &seed);
    assert_int_equal(scenario, 0);
    assert_int_equal(seed, 10);
    swarm_job_split(7, 3, 10, &scenario, &seed);
    assert_int_equal(scenario, 1);
    assert_int_equal(seed, 12);
    swarm_job_split(7, 0, 1, &scenario, &seed); /* generated worlds: one "scenario" */
    assert_int_equal(scenario, 0);
    assert_int_equal(seed, 8);
}

/* ---- Replay files ----------------------------------------------------------------------- */

static const char scenario_text[] = "node echo1 type=echo\nrun 1s\n";

static char *replay_text(const struct replay_file *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(replay_format(f, out), KS_OK);
    assert_int_equal(fclose(out), 0);
    return buf;
}

static void replay_round_trip(void **state)
{
    struct replay_file f;
    memset(&f, 0, sizeof(f));
    snprintf(f.name, sizeof(f.name), "scenarios/x.scn");
    f.seed = 42;
    f.bug_count = 1;
    snprintf(f.bugs[0], sizeof(f.bugs[0]), "fixture_echo_reorder");
    f.outcome = REPLAY_OUTCOME_VIOLATION;
    f.hash_known = true;
    f.trace_hash = 0x0123456789abcdefull;
    f.events = 99;
    f.sim_ns = 5 * NS_PER_S;
    snprintf(f.violation.invariant, sizeof(f.violation.invariant), "ping_in_order");
    f.violation.time_ns = 1234;
    snprintf(f.violation.node, sizeof(f.violation.node), "ping1");
    snprintf(f.violation.message, sizeof(f.violation.message), "two\nlines");
    f.scenario = ks_strdup(scenario_text);
    f.scenario_bytes = strlen(scenario_text);
    char *text = replay_text(&f);
    struct replay_file back;
    char error[REPLAY_ERROR_BYTES_MAX];
    assert_int_equal(replay_parse(text, strlen(text), &back, error, sizeof(error)), KS_OK);
    assert_string_equal(back.name, f.name);
    assert_int_equal(back.seed, 42);
    assert_int_equal(back.bug_count, 1);
    assert_string_equal(back.bugs[0], "fixture_echo_reorder");
    assert_int_equal(back.outcome, REPLAY_OUTCOME_VIOLATION);
    assert_true(back.hash_known);
    assert_int_equal(back.trace_hash, f.trace_hash);
    assert_int_equal(back.violation.time_ns, 1234);
    assert_string_equal(back.violation.message, "two lines"); /* one line in the file */
    assert_string_equal(back.scenario, scenario_text);
    replay_file_free(&back);
    replay_file_free(&f);
    free(text);
}

static void replay_bad_files(void **state)
{
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {"", "line 1: the file ends before the '---' line"},
        {"hello world\n---\n", "line 1: not a ksim replay file (expected 'ksim-replay 1')"},
        {"ksim-replay 2\n---\n", "line 1: replay file version 2, this ksim reads 1"},
        {"ksim-replay 1\n---\n", "line 2: missing 'name'"},
        {"ksim-replay 1\nname x\nseed -1\n", "line 3: seed takes a whole number, not '-1'"},
        {"ksim-replay 1\nname x\nname y\n", "line 3: 'name' given twice"},
        {"ksim-replay 1\ncolour blue\n", "line 2: unknown key 'colour'"},
        {"ksim-replay 1\nnovalue\n", "line 2: expected 'key value', found 'novalue'"},
        {"ksim-replay 1\noutcome maybe\n",
         "line 2: outcome must be pass, violation or crash, not 'maybe'"},
        {"ksim-replay 1\ntrace-hash 12\n",
         "line 2: trace-hash must be 16 hex digits or none, not '12'"},
        {"ksim-replay 1\nname x\nseed 1\noutcome crash\ntrace-hash 0000000000000001\n"
         "scenario-bytes 0\n---\n",
         "line 7: a crash has trace-hash none, other outcomes a hash"},
        {"ksim-replay 1\nname x\nseed 1\noutcome violation\ntrace-hash 0000000000000001\n"
         "scenario-bytes 0\n---\n",
         "line 7: outcome violation needs an 'invariant' line"},
        {"ksim-replay 1\nname x\nseed 1\noutcome pass\ntrace-hash 0000000000000001\n"
         "scenario-bytes 10\n---\nshort",
         "scenario-bytes says 10 but 5 bytes follow the '---' line"},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct replay_file f;
        char error[REPLAY_ERROR_BYTES_MAX];
        enum ks_err err =
            replay_parse(cases[i].text, strlen(cases[i].text), &f, error, sizeof(error));
        assert_int_equal(err, KS_ERR_INVALID);
        assert_string_equal(error, cases[i].error);
        assert_null(f.scenario);
    }
}

/* ---- Trace lines and narration ------------------------------------------------------------ */

static void tracelog_lines(void **state)
{
    static const char text[] = "1204.500000 echo1 fault.crash unsynced_ops_lost=3\n"
                               "garbage\n"
                               "1300.000001 world fault.heal \n";
    struct tracelog *log = tracelog_from_text(text, strlen(text));
    assert_int_equal(tracelog_count(log), 3);
    struct tracelog_record r;
    assert_true(tracelog_get(log, 0, &r));
    assert_int_equal(r.time_ns, 1204500000ull);
    assert_string_equal(r.node, "echo1");
    assert_string_equal(r.kind, "fault.crash");
    char sentence[NARRATE_SENTENCE_BYTES_MAX];
    assert_true(narrate_sentence(&r, sentence, sizeof(sentence)));
    assert_string_equal(sentence, "echo1 crashed (power loss): 3 unsynced writes lost");
    assert_false(tracelog_get(log, 1, &r));
    assert_true(tracelog_get(log, 2, &r));
    assert_int_equal(r.time_ns, 1300000001ull);
    assert_int_equal(r.text_len, 0);
    tracelog_free(log);
    char t[32];
    narrate_time(1204500000ull, t, sizeof(t));
    assert_string_equal(t, "t=1.204s");
}

/* ---- The generator ------------------------------------------------------------------------- */

/* Every expected invariant of a world is one gen_invariants_print lists (ci/mutation
 * relies on the list to say which switches are pending). */
static void gen_world_expects_listed(const struct scn_script *script, const char *listed)
{
    for (uint32_t i = 0; i < script->expect_count; i++) {
        const char *name = script->expects[i].def->name;
        const char *hit = strstr(listed, name);
        size_t len = strlen(name);
        while (hit != NULL && hit[len] != ' ' && hit[len] != '\n')
            hit = strstr(hit + 1, name);
        if (hit == NULL)
            fprintf(stderr, "expected but not listed: %s\n", name);
        assert_non_null(hit);
    }
}

static void gen_worlds_parse_and_repeat(void **state)
{
    struct gen_options o = {.run_ns = 0};
    char listed[4096] = "";
    FILE *f = fmemopen(listed, sizeof(listed) - 1, "w");
    assert_non_null(f);
    gen_invariants_print(f);
    fclose(f);
    uint64_t knobs_seen = 0;
    for (uint64_t seed = 1; seed <= 80; seed++) {
        uint64_t knobs_a = 0, knobs_b = 0;
        char *a = gen_scenario_knobs(seed, &o, &knobs_a), *b = gen_scenario_knobs(seed, &o, &knobs_b);
        assert_string_equal(a, b);
        assert_int_equal(knobs_a, knobs_b);
        knobs_seen |= knobs_a;
        struct scn_script *script = NULL;
        struct scn_error error;
        enum ks_err err = scn_parse(runner_lang(), "generated", a, &script, &error);
        if (err != KS_OK)
            scn_error_print(&error, stderr);
        assert_int_equal(err, KS_OK);
        assert_true(script->node_count >= 1);
        assert_true(script->expect_count >= 1);
        gen_world_expects_listed(script, listed);
        scn_script_free(script);
        free(a);
        free(b);
    }
    /* Over 80 seeds every knob was on at least once. */
    assert_int_equal(knobs_seen, (UINT64_C(1) << GEN_KNOB_COUNT) - 1);
}

/* A knob at 1000 per mille is always on, at 1 almost never; other parts stay as drawn
 * (each part has its own stream), so forcing the log part on leaves the fixture's
 * nodes as they were. */
static void gen_knobs_steer(void **state)
{
    struct gen_options forced = {.run_ns = 0}, plain = {.run_ns = 0};
    forced.knob_permille[GEN_KNOB_LOG] = GEN_PERMILLE;
    forced.knob_permille[GEN_KNOB_LOG_COMPACT] = GEN_PERMILLE;
    uint32_t compacted = 0;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        uint64_t knobs = 0, plain_knobs = 0;
        char *a = gen_scenario_knobs(seed, &forced, &knobs);
        char *b = gen_scenario_knobs(seed, &plain, &plain_knobs);
        assert_true((knobs >> GEN_KNOB_LOG) & 1u);
        assert_non_null(strstr(a, "cleanup.policy=compact"));
        compacted += strstr(b, "cleanup.policy=compact") != NULL ? 1u : 0u;
        /* The ping fixture's part is drawn the same either way (unless the plain world
         * drew no part at all and fell back on one). */
        bool fallback = ((plain_knobs >> GEN_KNOB_LOG) & 1u) == 0 &&
                        ((plain_knobs >> GEN_KNOB_RAFT) & 1u) == 0;
        if (!fallback)
            assert_int_equal((knobs >> GEN_KNOB_PINGECHO) & 1u,
                             (plain_knobs >> GEN_KNOB_PINGECHO) & 1u);
        free(a);
        free(b);
    }
    assert_true(compacted < 30);
    assert_string_equal(gen_knob_name(GEN_KNOB_FAULT_DISK_EIO), "disk_eio");
    assert_int_equal(gen_knob_default_permille(GEN_KNOB_LOG), 500);
}

/* --favour-rare: a knob whose runs reach rare transitions gains odds, one whose runs
 * reach only common ones loses them; results within a round count in any order. */
static void favour_rare_steers_knobs(void **state)
{
    struct swarm_favour *a = swarm_favour_create(), *b = swarm_favour_create();
    uint16_t counts_common[8] = {1, 1, 0, 0, 0, 0, 0, 0};
    uint16_t counts_rare[8] = {1, 1, 0, 0, 0, 0, 0, 5};
    uint64_t log_on = UINT64_C(1) << GEN_KNOB_LOG;
    uint16_t odds[GEN_KNOB_COUNT];
    swarm_favour_odds(a, odds);
    assert_int_equal(odds[GEN_KNOB_LOG], gen_knob_default_permille(GEN_KNOB_LOG));
    for (uint32_t round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < SWARM_FAVOUR_ROUND_JOBS; i++) {
            /* One run in eight has the log knob on and reaches slot 7. */
            bool on = i % 8 == 0;
            swarm_favour_add(a, on ? log_on : 0, on ? counts_rare : counts_common, 8);
            uint32_t j = SWARM_FAVOUR_ROUND_JOBS - 1 - i; /* b gets them backwards */
            bool on_b = j % 8 == 0;
            swarm_favour_add(b, on_b ? log_on : 0, on_b ? counts_rare : counts_common, 8);
        }
        assert_int_equal(swarm_favour_round_count(a), SWARM_FAVOUR_ROUND_JOBS);
        swarm_favour_round_end(a, 8);
        swarm_favour_round_end(b, 8);
    }
    assert_int_equal(swarm_favour_round(a), 3);
    assert_int_equal(swarm_favour_round_count(a), 0);
    swarm_favour_odds(a, odds);
    assert_true(odds[GEN_KNOB_LOG] > gen_knob_default_permille(GEN_KNOB_LOG));
    assert_true(odds[GEN_KNOB_LOG] <= SWARM_FAVOUR_PERMILLE_MAX);
    /* A knob never on keeps its default. */
    assert_int_equal(odds[GEN_KNOB_RAFT], gen_knob_default_permille(GEN_KNOB_RAFT));
    uint16_t odds_b[GEN_KNOB_COUNT];
    swarm_favour_odds(b, odds_b);
    assert_memory_equal(odds, odds_b, sizeof(odds));
    char json[2048] = "";
    FILE *f = fmemopen(json, sizeof(json) - 1, "w");
    swarm_favour_json(a, f);
    fclose(f);
    assert_non_null(strstr(json, "\"favour_rare\":{\"rounds\":3"));
    swarm_favour_free(a);
    swarm_favour_free(b);
    swarm_favour_free(NULL);
}

/* ---- Explaining a violation ------------------------------------------------------------- */

static const char explain_trace[] =
    "0.000000 c1 node.add type=controller\n"
    "0.000000 b1 node.add type=broker\n"
    "0.000000 b2 node.add type=broker\n"
    "1.000000 b1 broker.start id=4 port=9092\n"
    "1.000000 b2 broker.start id=5 port=9092\n"
    "5.000000 c1 ctrl.apply offset 9: {\"type\":\"TOPIC_RECORD\",\"data\":{\"name\":\"orders\","
    "\"topicId\":\"T1\"}}\n"
    "6.000000 c1 ctrl.apply offset 10: {\"type\":\"PARTITION_CHANGE_RECORD\",\"data\":{"
    "\"partitionId\":0,\"topicId\":\"T1\",\"leader\":4}}\n"
    "6.000000 c1 ctrl.apply offset 11: {\"type\":\"PARTITION_CHANGE_RECORD\",\"data\":{"
    "\"partitionId\":10,\"topicId\":\"T1\",\"leader\":4}}\n"
    "7.000000 b2 repl.isr orders-0 partition_epoch 0 -> 1 isr 3 -> 2\n"
    "7.000000 b2 repl.isr orders-1 partition_epoch 0 -> 1 isr 3 -> 2\n"
    "8.000000 c1 ctrl.answer BrokerHeartbeat v1 to b2: broker 5 NONE\n"
    "8.000000 c1 ctrl.answer BrokerHeartbeat v1 to b1: broker 4 NONE\n"
    "9.000000 b2 fault.crash power loss\n"
    "9.000000 world fault.heal\n";

static void explain_slice(void **state)
{
    struct tracelog *log = tracelog_from_text(explain_trace, strlen(explain_trace));
    struct inv_violation v = {.time_ns = 10 * NS_PER_S};
    snprintf(v.invariant, sizeof(v.invariant), "ctrl_leader_in_isr");
    snprintf(v.node, sizeof(v.node), "c1");
    snprintf(v.message, sizeof(v.message), "orders-0: leader 4 is not in the ISR. key-3 aside");
    struct explain_subjects s;
    explain_subjects_find(log, &v, &s);
    assert_int_equal(s.node_count, 2); /* c1, and b1 as broker 4 */
    assert_string_equal(s.nodes[0], "c1");
    assert_string_equal(s.nodes[1], "b1");
    assert_int_equal(s.partition_count, 1); /* not key-3 */
    assert_string_equal(s.partitions[0], "orders-0");
    assert_string_equal(s.topic_ids[0], "T1");
    assert_int_equal(s.broker_id_count, 1);
    static const bool expected[] = {false, false, false, false, false, false, true,  false,
                                    true,  false, false, true, false, true};
    assert_int_equal(tracelog_count(log), KS_ARRAY_COUNT(expected));
    for (uint32_t i = 0; i < tracelog_count(log); i++) {
        struct tracelog_record r;
        assert_true(tracelog_get(log, i, &r));
        if (explain_record_relevant(&r, &s) != expected[i])
            fail_msg("record %u (%s %s): expected %d", i, r.node, r.kind, expected[i]);
    }
    tracelog_free(log);
}

/* ---- The shrinker's steps ------------------------------------------------------------------- */

static const char shrink_script_text[] =
    "world seed=3 latency=1ms..2ms\n"
    "node echo1 type=echo\n"
    "node echo2 type=echo\n"
    "node ping1 type=ping target=echo1 ping.interval.ms=5\n"
    "node ping2 type=ping target=echo2 ping.interval.ms=7\n"
    "faults from 1s until 9s every 1s..2s kinds=crash,restart\n"
    "at 2s crash echo2\n"
    "at 3500123us restart echo2\n"
    "every 2s from 4s until 8s partition ping1 | echo1\n"
    "run 20s\n"
    "expect ping_in_order ping_progress\n";

static struct shrink_script *shrink_model(void)
{
    struct scn_script *script = NULL;
    struct scn_error error;
    assert_int_equal(scn_parse(runner_lang(), "t.scn", shrink_script_text, &script, &error), KS_OK);
    struct shrink_script *m = shrink_from_script(script, 3);
    scn_script_free(script);
    return m;
}

/* Format the model and parse it back: every step must leave a valid scenario. */
static struct scn_script *shrink_reparse(const struct shrink_script *m)
{
    char *text = shrink_format(m, "# test");
    struct scn_script *script = NULL;
    struct scn_error error;
    enum ks_err err = scn_parse(runner_lang(), "shrunk.scn", text, &script, &error);
    if (err != KS_OK) {
        scn_error_print(&error, stderr);
        fputs(text, stderr);
    }
    assert_int_equal(err, KS_OK);
    free(text);
    return script;
}

static void shrink_model_round_trip(void **state)
{
    struct shrink_script *m = shrink_model();
    assert_int_equal(m->node_count, 4);
    assert_int_equal(m->action_count, 4);
    struct scn_script *s = shrink_reparse(m);
    assert_int_equal(s->node_count, 4);
    assert_int_equal(s->action_count, 4);
    assert_int_equal(s->run_ns, 20 * NS_PER_S);
    assert_int_equal(s->actions[2].at_ns, 3500123000ull);
    scn_script_free(s);
    shrink_free(m);
}

static void shrink_steps(void **state)
{
    struct shrink_script *m = shrink_model();
    /* Dropping echo2 drops its lines and ping2, whose target it was. */
    assert_true(shrink_drop_node(m, 1));
    assert_int_equal(m->node_count, 2);
    assert_int_equal(m->action_count, 2);      /* faults and the partition line */
    assert_true(shrink_drop_actions(m, 0, 1)); /* the faults line names times of its own */
    /* A shorter run drops what lies beyond and keeps every time inside. */
    assert_true(shrink_set_run(m, 5 * NS_PER_S));
    assert_false(shrink_set_run(m, 6 * NS_PER_S));
    assert_true(shrink_lighten(m, 1));
    assert_string_equal(m->nodes[1].props[1].value, "10");
    assert_true(shrink_expect_only(m, "ping_in_order"));
    assert_false(shrink_expect_only(m, "ping_in_order"));
    struct scn_script *s = shrink_reparse(m);
    assert_int_equal(s->node_count, 2);
    assert_int_equal(s->expect_count, 1);
    scn_script_free(s);
    assert_true(shrink_drop_actions(m, 0, 1));
    assert_false(shrink_drop_actions(m, 5, 1));
    assert_int_equal(m->action_count, 0);
    shrink_free(m);
}

/* A schedule's traced verbs become `at` lines in time order, among the scripted ones. */
static void shrink_expand_and_round(void **state)
{
    static const char trace[] =
        "1500.000000 echo1 scn.fault line 6: crash: crash echo1\n"
        "2000.000000 world scn.action line 7: crash echo2\n"
        "3100.250000 world scn.fault line 6: restart (no node)\n"
        "3700.000007 echo1 scn.fault line 6: restart: restart echo1\n"
        "9000.000000 world scn.faults_end line 6: heal; disk ping1 eio all next=0; start echo2\n";
    struct shrink_script *m = shrink_model();
    struct tracelog *log = tracelog_from_text(trace, strlen(trace));
    assert_true(shrink_expand_faults(m, log));
    assert_int_equal(m->action_count, 3 + 2 + 3);
    assert_string_equal(m->actions[0].text, "crash echo1");
    assert_int_equal(m->actions[0].at_ns, 1500000000ull);
    assert_string_equal(m->actions[m->action_count - 3].text, "disk ping1 eio all next=0");
    assert_int_equal(m->actions[m->action_count - 1].when, SCN_WHEN_EVERY);
    assert_true(shrink_round_times(m, NS_PER_S / 10));
    assert_false(shrink_round_times(m, NS_PER_S / 10));
    struct scn_script *s = shrink_reparse(m);
    assert_int_equal(s->action_count, m->action_count);
    scn_script_free(s);
    tracelog_free(log);
    shrink_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shard_parse_cases),
        cmocka_unit_test(shards_disjoint_and_complete),
        cmocka_unit_test(job_split_scenarios_and_seeds),
        cmocka_unit_test(replay_round_trip),
        cmocka_unit_test(replay_bad_files),
        cmocka_unit_test(tracelog_lines),
        cmocka_unit_test(gen_worlds_parse_and_repeat),
        cmocka_unit_test(gen_knobs_steer),
        cmocka_unit_test(favour_rare_steers_knobs),
        cmocka_unit_test(explain_slice),
        cmocka_unit_test(shrink_model_round_trip),
        cmocka_unit_test(shrink_steps),
        cmocka_unit_test(shrink_expand_and_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
