/*
 * scn_client_test.c: the client node kinds, the `workload` verb and the history
 * invariants in a whole KRaft cluster run by the scenario runner. Pins: the story of
 * scenarios/repl_acks_leader_crash.scn (a broker loses power under an acks=1 and an
 * acks=all workload): kcheck_history holds, the acks=1 topic lost acknowledged records
 * (allowed anomalies, read from the kcheck.summary trace line) and acks=all lost none;
 * `workload` parse errors name the word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/runner.h"
#include "sim/scn.h"

#define T_VOTERS "controller.quorum.voters=1@c1:9093,2@c2:9093,3@c3:9093"
#define T_LINE_BYTES 4096u

/* The cluster of the scenario file, one broker crash, the two workloads. */
static const char t_story[] =
    "world latency=1ms..4ms\n"
    "node c1 type=controller node.id=1 " T_VOTERS "\n"
    "node c2 type=controller node.id=2 " T_VOTERS "\n"
    "node c3 type=controller node.id=3 " T_VOTERS "\n"
    "node b1 type=broker node.id=4 " T_VOTERS " replica.fetch.wait.max.ms=100\n"
    "node b2 type=broker node.id=5 " T_VOTERS " replica.fetch.wait.max.ms=100\n"
    "node b3 type=broker node.id=6 " T_VOTERS " replica.fetch.wait.max.ms=100\n"
    "node admin type=admin " T_VOTERS "\n"
    "node p_one type=producer start=8s bootstrap.servers=b1:9092,b2:9092,b3:9092 "
    "workload.topic=orders_one acks=1 enable.idempotence=false workload.rate=200 "
    "workload.keys=50\n"
    "node p_all type=producer start=8s bootstrap.servers=b1:9092,b2:9092,b3:9092 "
    "workload.topic=orders_all acks=all enable.idempotence=true workload.rate=200 "
    "workload.keys=50\n"
    "latency b1 | b2,b3 20ms..40ms\n"
    "latency b2 | b3 20ms..40ms\n"
    "at 5s topic create orders_one partitions=3 replication.factor=3\n"
    "at 5s topic create orders_all partitions=3 replication.factor=3 min.insync.replicas=2\n"
    "at 15s crash b1\n"
    "at 25s restart b1\n"
    "at 30s workload stop p_one,p_all\n"
    "run 40s\n"
    "expect kcheck_history kcheck_hw_monotonic kcheck_replicas_agree\n";

/* From the trace: the kcheck_acked_present summary line's two counts. */
static bool t_acked_present_counts(FILE *trace, uint64_t *violations, uint64_t *allowed)
{
    char line[T_LINE_BYTES];
    rewind(trace);
    while (fgets(line, sizeof(line), trace) != NULL) {
        const char *at = strstr(line, "kcheck.summary kcheck_acked_present violations ");
        if (at != NULL &&
            sscanf(at,
                   "kcheck.summary kcheck_acked_present violations %" SCNu64 " allowed %" SCNu64,
                   violations, allowed) == 2)
            return true;
    }
    return false;
}

static void test_acks1_loses_acks_all_keeps(void **state)
{
    (void)state;
    struct scn_script *script = NULL;
    struct scn_error error;
    assert_int_equal(scn_parse(runner_lang(), "story", t_story, &script, &error), KS_OK);
    struct runner_options options;
    memset(&options, 0, sizeof(options));
    options.scenario_path = "story";
    options.seed_set = true;
    options.seed = 1;
    options.quiet = true;
    FILE *trace = tmpfile();
    assert_non_null(trace);
    struct runner_result *result = calloc(1, sizeof(*result));
    assert_int_equal(runner_run_once(script, &options, trace, NULL, result), KS_OK);
    for (uint32_t i = 0; i < result->violation_count; i++)
        print_message("%s: %s\n", result->violations[i].invariant, result->violations[i].message);
    assert_int_equal(result->violation_count, 0);
    uint64_t violations = 1, allowed = 0;
    assert_true(t_acked_present_counts(trace, &violations, &allowed));
    print_message("acks=all lost %" PRIu64 ", acks=1 lost %" PRIu64 " (allowed)\n", violations,
                  allowed);
    assert_int_equal(violations, 0); /* acks=all: none */
    assert_true(allowed > 0);        /* acks=1: some, on the failover */
    fclose(trace);
    free(result);
    scn_script_free(script);
}

static void test_workload_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"node p type=producer\nworkload pause p\nrun 1s\n", "expected 'start' or 'stop'"},
        {"node p type=producer\nworkload stop q\nrun 1s\n", "q"},
        {"node p type=producer\nworkload stop p extra\nrun 1s\n", "end of the line"},
        {"node p type=producer\nworkload\nrun 1s\n", "'start' or 'stop'"},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct scn_script *script = NULL;
        struct scn_error error;
        memset(&error, 0, sizeof(error));
        assert_int_not_equal(scn_parse(runner_lang(), "bad", cases[i].text, &script, &error),
                             KS_OK);
        assert_null(script);
        if (strstr(error.message, cases[i].message) == NULL)
            print_message("case %u: %s\n", i, error.message);
        assert_non_null(strstr(error.message, cases[i].message));
        assert_int_equal(error.pos.line, 2);
    }
    struct scn_script *script = NULL;
    struct scn_error error;
    assert_int_equal(scn_parse(runner_lang(), "good",
                               "node p type=producer\nat 1s workload stop p\n"
                               "at 2s workload start all\nrun 3s\n",
                               &script, &error),
                     KS_OK);
    scn_script_free(script);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workload_parse_errors),
        cmocka_unit_test(test_acks1_loses_acks_all_keeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
