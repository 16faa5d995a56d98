/*
 * phase_test.c: the pure parts of issue 8 on the simulator side: integer percentiles
 * (figures.h), the first divergence of two traces (diff.h), the `liveness` line's
 * parsing with bad input and its defaults (phase.h), coverage counting and merging
 * (smcov.h), and the quorum's and the brokers' liveness conditions failing and holding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../diff.h"
#include "../figures.h"
#include "../phase.h"
#include "../runner.h"
#include "../smcov.h"

#define NS_PER_S 1000000000ull

static void percentiles(void **state)
{
    uint64_t values[100];
    for (uint32_t i = 0; i < 100; i++)
        values[i] = 100 - i; /* 100..1, unsorted */
    struct fig_pct p;
    fig_pct_compute(values, 100, &p);
    assert_int_equal(p.count, 100);
    assert_int_equal(p.p50, 50);
    assert_int_equal(p.p90, 90);
    assert_int_equal(p.p99, 99);
    assert_int_equal(p.max, 100);
    uint64_t one[] = {7};
    fig_pct_compute(one, 1, &p);
    assert_int_equal(p.p50, 7);
    assert_int_equal(p.p99, 7);
    uint64_t three[] = {30, 10, 20};
    fig_pct_compute(three, 3, &p);
    assert_int_equal(p.p50, 20); /* nearest rank: ceil(1.5) = 2nd */
    assert_int_equal(p.p90, 30);
    fig_pct_compute(NULL, 0, &p);
    assert_int_equal(p.count, 0);
    assert_int_equal(p.max, 0);
    uint64_t sorted[] = {1, 2, 3, 4};
    assert_int_equal(fig_rank(sorted, 4, 1), 1);
    assert_int_equal(fig_rank(sorted, 4, 25), 1);
    assert_int_equal(fig_rank(sorted, 4, 26), 2);
    assert_int_equal(fig_rank(sorted, 4, 100), 4);
}

static struct tracelog *log_of(const char *text)
{
    return tracelog_from_text(text, strlen(text));
}

static void divergence(void **state)
{
    static const struct {
        const char *name;
        const char *a;
        const char *b;
        bool identical;
        uint32_t index;
        bool a_ended;
        bool b_ended;
    } cases[] = {
        {"same", "1.000000 n1 k x\n2.000000 n1 k y\n", "1.000000 n1 k x\n2.000000 n1 k y\n", true,
         2, false, false},
        {"text differs", "1.000000 n1 k x\n2.000000 n1 k y\n", "1.000000 n1 k x\n2.000000 n1 k z\n",
         false, 1, false, false},
        {"time differs", "1.000000 n1 k x\n", "1.000001 n1 k x\n", false, 0, false, false},
        {"node differs", "1.000000 n1 k x\n", "1.000000 n2 k x\n", false, 0, false, false},
        {"b longer", "1.000000 n1 k x\n", "1.000000 n1 k x\n3.000000 n1 k w\n", false, 1, true,
         false},
        {"a longer", "1.000000 n1 k x\n3.000000 n1 k w\n", "1.000000 n1 k x\n", false, 1, false,
         true},
        {"both empty", "", "", true, 0, false, false},
    };
    for (uint32_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tracelog *a = log_of(cases[i].a), *b = log_of(cases[i].b);
        struct diff_point p;
        diff_first(a, b, &p);
        assert_int_equal(p.identical, cases[i].identical);
        assert_int_equal(p.index, cases[i].index);
        assert_int_equal(p.a_ended, cases[i].a_ended);
        assert_int_equal(p.b_ended, cases[i].b_ended);
        tracelog_free(a);
        tracelog_free(b);
    }
    struct tracelog *a = log_of("1.000000 n1 k x\n2.500000 n1 k y\n");
    struct tracelog *b = log_of("1.000000 n1 k x\n2.000000 n1 k z\n");
    struct diff_point p;
    diff_first(a, b, &p);
    assert_int_equal(p.time_ns, 2000000ull); /* the earlier of the two (lines are in ms) */
    tracelog_free(a);
    tracelog_free(b);
}

static const char base_script[] = "node echo1 type=echo\n"
                                  "node ping1 type=ping target=echo1 reconnect.backoff.ms=4000\n"
                                  "at 10s crash echo1\n"
                                  "at 12s restart echo1\n";

static enum ks_err parse(const char *tail, struct scn_script **out, struct scn_error *error)
{
    char text[1024];
    snprintf(text, sizeof(text), "%s%s", base_script, tail);
    return scn_parse(runner_lang(), "t.scn", text, out, error);
}

static void liveness_line_errors(void **state)
{
    static const struct {
        const char *tail;
        const char *message;
    } cases[] = {
        {"liveness budget 0s\nrun 30s\n", "the liveness budget must be longer than 0"},
        {"liveness budget soon\nrun 30s\n", "found 'soon'"},
        {"liveness budget\nrun 30s\n", "expected a budget"},
        {"liveness from 40s\nrun 30s\n", "after the end of the run"},
        {"liveness now\nrun 30s\n", "expected 'from TIME' or 'budget DURATION'"},
        {"liveness budget 5s extra\nrun 30s\n", "found 'extra'"},
        {"liveness budget 5s\nliveness from 20s\nrun 30s\n", "set twice"},
        {"at 20s liveness budget 5s\nrun 30s\n", "liveness"},
    };
    for (uint32_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scn_script *script = NULL;
        struct scn_error error;
        assert_int_equal(parse(cases[i].tail, &script, &error), KS_ERR_INVALID);
        assert_null(script);
        if (strstr(error.message, cases[i].message) == NULL)
            fail_msg("case %u: '%s' lacks '%s'", i, error.message, cases[i].message);
    }
}

static void liveness_settings(void **state)
{
    struct scn_script *script = NULL;
    struct scn_error error;
    const struct inv_def *defs[] = {&inv_ping_progress};
    struct phase_settings s;
    /* Defaults: after the last line; the budget from the ping's backoff. */
    assert_int_equal(parse("run 30s\nexpect ping_progress\n", &script, &error), KS_OK);
    phase_settings_get(script, defs, 1, &s);
    assert_false(s.from_set);
    assert_int_equal(s.from_ns, 12 * NS_PER_S + PHASE_AFTER_LAST_NS);
    assert_int_equal(s.budget_ns, (2 * 4000 + 8 * 10 + 3000) * 1000000ull);
    assert_int_equal(s.deadline_ns, s.from_ns + s.budget_ns);
    scn_script_free(script);
    /* Explicit, and a budget cut at the end of the run. */
    assert_int_equal(parse("liveness from 20s budget 15s\nrun 30s\n", &script, &error), KS_OK);
    phase_settings_get(script, defs, 1, &s);
    assert_true(s.from_set && s.budget_set);
    assert_int_equal(s.from_ns, 20 * NS_PER_S);
    assert_int_equal(s.budget_ns, 15 * NS_PER_S);
    assert_int_equal(s.deadline_ns, 30 * NS_PER_S);
    scn_script_free(script);
    /* No ping expected: the floor. */
    assert_int_equal(parse("run 30s\n", &script, &error), KS_OK);
    phase_settings_get(script, NULL, 0, &s);
    assert_int_equal(s.budget_ns, INV_LIVENESS_BUDGET_NS_MIN);
    scn_script_free(script);
}

static void coverage_counts(void **state)
{
    struct smcov a, b;
    smcov_reset(&a);
    smcov_reset(&b);
    assert_true(smcov_slot_count() > 0);
    assert_true(smcov_slot_count() <= SMCOV_SLOTS_MAX);
    assert_true(smcov_record(&a, "node Down->Running", 18));
    assert_true(smcov_record(&a, "node Down->Running", 18));
    assert_true(smcov_record(&b, "raft Candidate->Leader", 22));
    assert_false(smcov_record(&b, "raft Leader->Candidate", 22)); /* not declared */
    assert_false(smcov_record(&b, "nosuch A->B", 11));
    assert_false(smcov_record(&b, "node Down", 9));
    assert_int_equal(b.unknown, 3);
    assert_int_equal(smcov_reached(&a), 1);
    smcov_merge(&a, &b);
    assert_int_equal(smcov_reached(&a), 2);
    assert_int_equal(a.runs, 2);
    assert_int_equal(smcov_rarest(&a, &b), 1);
    char why[128];
    for (uint32_t m = 0; m < smcov_machine_count(); m++)
        assert_int_equal(sm_def_check(smcov_machine(m), why, sizeof(why)), KS_OK);
}

/* The quorum's and the brokers' liveness conditions: with two of three voters never
 * started nothing recovers and both invariants say why; with all three both hold, and
 * the default budget comes from the controllers' timeouts. */
static const char quorum_script[] =
    "node c1 type=controller node.id=1 controller.quorum.voters=1@c1:9093,2@c2:9093,3@c3:9093\n"
    "node c2 type=controller node.id=2 controller.quorum.voters=1@c1:9093,2@c2:9093,3@c3:9093%s\n"
    "node c3 type=controller node.id=3 controller.quorum.voters=1@c1:9093,2@c2:9093,3@c3:9093%s\n"
    "node b1 type=broker node.id=4 controller.quorum.voters=1@c1:9093,2@c2:9093,3@c3:9093\n"
    "at 5s crash c1\n"
    "at 6s restart c1\n"
    "run 40s\n"
    "expect raft_quorum_recovers brokers_recover\n";

static void quorum_run(const char *never, struct runner_result *r)
{
    char text[2048];
    snprintf(text, sizeof(text), quorum_script, never, never);
    struct scn_script *script = NULL;
    struct scn_error error;
    assert_int_equal(scn_parse(runner_lang(), "q.scn", text, &script, &error), KS_OK);
    struct runner_options options = {.scenario_path = "q.scn", .quiet = true};
    assert_int_equal(runner_run_once(script, &options, NULL, NULL, r), KS_OK);
    scn_script_free(script);
}

static void quorum_and_broker_conditions(void **state)
{
    struct runner_result *r = calloc(1, sizeof(*r));
    quorum_run(" start=never", r);
    assert_int_equal(r->violation_count, 2);
    assert_string_equal(r->violations[0].invariant, "raft_quorum_recovers");
    assert_non_null(strstr(r->violations[0].message, "raft_leader did not recover"));
    assert_non_null(strstr(r->violations[0].message, "no controller leads (1 running)"));
    assert_string_equal(r->violations[1].invariant, "brokers_recover");
    assert_non_null(strstr(r->violations[1].message, "broker b1 is Starting and fenced"));
    /* Defaults: 2 x (1000 + 2000 + 1000) + 2000 + 2000 ms, plus the 9 s session. */
    assert_int_equal(r->phase.budget_ns, (9000 + 12000) * 1000000ull);
    memset(r, 0, sizeof(*r));
    quorum_run("", r);
    assert_int_equal(r->violation_count, 0);
    uint32_t met = 0;
    for (uint32_t i = 0; i < r->liveness_count; i++)
        met += r->liveness[i].met ? 1u : 0u;
    assert_int_equal(met, r->liveness_count);
    assert_true(r->liveness_count >= 2);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles),          cmocka_unit_test(divergence),
        cmocka_unit_test(liveness_line_errors), cmocka_unit_test(liveness_settings),
        cmocka_unit_test(coverage_counts),
        cmocka_unit_test(quorum_and_broker_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
