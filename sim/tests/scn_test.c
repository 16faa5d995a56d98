/*
 * scn_test.c: the scenario parser. Good scripts parse to the expected nodes, actions
 * and invariants; every kind of error names the expected line, column and message;
 * a module from outside the core (a verb, a node kind and an invariant) extends the
 * language without touching it; clashing tables are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../runner.h"
#include "../scn.h"
#include "../scn_world.h"
#include "fixture_pingecho.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

static struct scn_script *parse_ok(const struct scn_lang *lang, const char *text)
{
    struct scn_script *script = NULL;
    struct scn_error error;
    enum ks_err err = scn_parse(lang, "t.scn", text, &script, &error);
    if (err != KS_OK)
        scn_error_print(&error, stderr);
    assert_int_equal(err, KS_OK);
    assert_non_null(script);
    return script;
}

/* ---- A good script ------------------------------------------------------------------ */

static const char good_script[] =
    "# A story.\n"
    "world seed=99 latency=1ms..3ms connect.timeout=2s\n"
    "\n"
    "node echo1 type=echo\n"
    "node ping1 type=ping target=echo1 ping.interval.ms=5   # fast\n"
    "node late  type=ping target=echo1 start=2s\n"
    "node spare type=echo start=never\n"
    "disk ping1 latency 10us..20us\n"
    "at 5s crash echo1\n"
    "at 5s partition ping1,late | echo1\n"
    "at 7s heal\n"
    "at 8s pause ping1 for 500ms\n"
    "at 9s clock ping1 jump -2s\n"
    "at 9s disk echo1 eio sync next=2\n"
    "every 2s from 10s until 20s restart echo1\n"
    "every 3s crash late\n"
    "faults from 25s until 40s every 1s..2s kinds=crash,restart nodes=ping1,late\n"
    "run 1m\n"
    "expect ping_in_order ping_progress\n";

static void good_script_nodes(void **state)
{
    struct scn_script *s = parse_ok(runner_lang(), good_script);
    assert_true(s->world.seed_set);
    assert_int_equal(s->world.seed, 99);
    assert_int_equal(s->world.latency_ns_min, 1 * NS_PER_MS);
    assert_int_equal(s->world.latency_ns_max, 3 * NS_PER_MS);
    assert_int_equal(s->world.connect_timeout_ns, 2 * NS_PER_S);
    assert_int_equal(s->node_count, 4);
    assert_string_equal(s->nodes[1]->name, "ping1");
    assert_string_equal(s->nodes[1]->kind->name, "ping");
    assert_ptr_equal(s->nodes[1]->kind->type, &fixture_ping_type);
    assert_string_equal(props_get(&s->nodes[1]->config, "ping.interval.ms"), "5");
    assert_string_equal(props_get(&s->nodes[1]->config, "target"), "echo1");
    assert_null(props_get(&s->nodes[1]->config, "type"));
    assert_int_equal(s->nodes[2]->start_ns, 2 * NS_PER_S);
    assert_null(props_get(&s->nodes[2]->config, "start"));
    assert_true(s->nodes[3]->start_never);
    assert_int_equal(scn_node_find(s, "late"), 2);
    assert_int_equal(scn_node_find(s, "nobody"), -1);
    assert_int_equal(s->run_ns, 60 * NS_PER_S);
    assert_int_equal(s->expect_count, 2);
    assert_string_equal(s->expects[1].def->name, "ping_progress");
    scn_script_free(s);
}

static void good_script_actions(void **state)
{
    static const struct {
        const char *text;
        enum scn_when when;
        uint64_t at_ns;
        uint32_t line;
        uint32_t col;
    } expected[] = {
        {"disk ping1 latency 10us..20us", SCN_WHEN_BARE, 0, 8, 1},
        {"crash echo1", SCN_WHEN_AT, 5 * NS_PER_S, 9, 7},
        {"partition ping1,late | echo1", SCN_WHEN_AT, 5 * NS_PER_S, 10, 7},
        {"heal", SCN_WHEN_AT, 7 * NS_PER_S, 11, 7},
        {"pause ping1 for 500ms", SCN_WHEN_AT, 8 * NS_PER_S, 12, 7},
        {"clock ping1 jump -2s", SCN_WHEN_AT, 9 * NS_PER_S, 13, 7},
        {"disk echo1 eio sync next=2", SCN_WHEN_AT, 9 * NS_PER_S, 14, 7},
        {"restart echo1", SCN_WHEN_EVERY, 10 * NS_PER_S, 15, 29},
        {"crash late", SCN_WHEN_EVERY, 3 * NS_PER_S, 16, 10},
        {"faults from 25s until 40s every 1s..2s kinds=crash,restart nodes=ping1,late",
         SCN_WHEN_BARE, 0, 17, 1},
    };
    struct scn_script *s = parse_ok(runner_lang(), good_script);
    assert_int_equal(s->action_count, KS_ARRAY_COUNT(expected));
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(expected); i++) {
        const struct scn_action *a = &s->actions[i];
        assert_string_equal(a->text, expected[i].text);
        assert_int_equal(a->when, expected[i].when);
        assert_int_equal(a->at_ns, expected[i].at_ns);
        assert_int_equal(a->pos.line, expected[i].line);
        assert_int_equal(a->pos.col, expected[i].col);
    }
    /* every: until defaults to the end of the run, from to one period. */
    assert_int_equal(s->actions[7].every_ns, 2 * NS_PER_S);
    assert_int_equal(s->actions[7].until_ns, 20 * NS_PER_S);
    assert_int_equal(s->actions[8].until_ns, 60 * NS_PER_S);
    assert_false(s->actions[8].until_set);
    /* faults' own times are checked against the run, too. */
    assert_int_equal(s->time_count, 2);
    assert_int_equal(s->times[1].ns, 40 * NS_PER_S);
    scn_script_free(s);
}

static void durations(void **state)
{
    static const struct {
        const char *text;
        uint64_t ns;
    } cases[] = {
        {"run 7ns", 7},           {"run 3us", 3000},          {"run 250ms", 250 * NS_PER_MS},
        {"run 5s", 5 * NS_PER_S}, {"run 2m", 120 * NS_PER_S}, {"run 1h", 3600 * NS_PER_S},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct scn_script *s = parse_ok(runner_lang(), cases[i].text);
        assert_int_equal(s->run_ns, cases[i].ns);
        scn_script_free(s);
    }
    char buf[32];
    scn_duration_format(1500 * NS_PER_MS, buf, sizeof(buf));
    assert_string_equal(buf, "1500ms");
    scn_duration_format(120 * NS_PER_S, buf, sizeof(buf));
    assert_string_equal(buf, "2m");
    scn_duration_format(0, buf, sizeof(buf));
    assert_string_equal(buf, "0s");
}

/* ---- Errors ------------------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *text;
    uint32_t line;
    uint32_t col;
    const char *message; /* prefix */
} error_cases[] = {
    {"unknown statement", "run 1s\nexplode\n", 2, 1, "expected world, node, at, every, run"},
    {"unknown verb after at", "run 1s\nat 0s explode\n", 2, 7, "unknown verb 'explode'"},
    {"verb needs time", "node e type=echo\nrun 1s\ncrash e\n", 3, 1, "'crash' needs a time"},
    {"verb cannot be timed", "run 9s\nat 1s faults until 5s every 1s\n", 2, 7,
     "'faults' cannot be timed"},
    {"unknown node", "node e type=echo\nrun 1s\nat 0s crash f\n", 3, 13, "unknown node 'f'"},
    {"node in a list", "node e type=echo\nrun 1s\nat 0s crash e,,e\n", 3, 15,
     "expected a node name"},
    {"node twice in a list", "node e type=echo\nrun 1s\nat 0s crash e,e\n", 3, 15,
     "node 'e' is named twice"},
    {"node declared later", "run 1s\nat 0s crash e\nnode e type=echo\n", 2, 13, "unknown node 'e'"},
    {"node name all", "node all type=echo\nrun 1s\n", 1, 6, "'all' is not a node name"},
    {"node name chars", "node e/1 type=echo\nrun 1s\n", 1, 6, "node names are letters"},
    {"node without type", "node e\nrun 1s\n", 1, 7, "expected type=KIND"},
    {"node type twice", "node e type=echo type=echo\nrun 1s\n", 1, 18,
     "property 'type' is given twice"},
    {"property twice", "node e type=echo port=1 port=2\nrun 1s\n", 1, 25,
     "property 'port' is given twice"},
    {"property no value", "node e type=echo port=\nrun 1s\n", 1, 18,
     "property 'port=' has no value"},
    {"property not kv", "node e type=echo port\nrun 1s\n", 1, 18,
     "expected a node property as key=value"},
    {"property not int", "node e type=echo port=x\nrun 1s\n", 1, 23, "expected a whole number"},
    {"start bad", "node e type=echo start=soon\nrun 1s\n", 1, 24, "expected a duration"},
    {"start after run", "node e type=echo start=5s\nrun 1s\n", 1, 6, "start 5s is after the end"},
    {"unknown invariant", "run 1s\nexpect nope\n", 2, 8, "unknown invariant 'nope'"},
    {"invariant twice", "run 1s\nexpect ping_progress ping_progress\n", 2, 22,
     "invariant 'ping_progress' already expected at line 2"},
    {"expect nothing", "run 1s\nexpect\n", 2, 7, "expected an invariant name"},
    {"missing run", "node e type=echo\n", 2, 1, "expected a 'run DURATION' line"},
    {"run zero", "run 0s\n", 1, 5, "the run must last longer than 0"},
    {"run twice", "run 1s\nrun 2s\n", 2, 1, "'run' already given at line 1"},
    {"duration no unit", "run 10\n", 1, 5, "duration '10' needs a unit"},
    {"duration unit", "run 10x\n", 1, 5, "unknown unit 'x'"},
    {"duration decimal", "run 1.5s\n", 1, 5, "durations are whole numbers"},
    {"duration word", "run soon\n", 1, 5, "expected a duration such as 250ms"},
    {"duration huge", "run 99999999999999999999s\n", 1, 5,
     "duration '99999999999999999999s' is too long"},
    {"duration too long", "run 800h\n", 1, 5, "duration '800h' is too long"},
    {"duration sign", "run -5s\n", 1, 5, "expected a duration without a sign"},
    {"time order", "node e type=echo\nrun 9s\nat 5s crash e\nat 4s heal\n", 4, 4,
     "time 4s goes back before 5s (line 3)"},
    {"time after run", "run 9s\nat 10s heal\n", 2, 4, "time 10s is after the end of the run"},
    {"every zero", "run 9s\nevery 0s heal\n", 2, 7, "the period of 'every' must be longer than 0"},
    {"every until order", "run 9s\nevery 1s from 5s until 5s heal\n", 2, 24,
     "'until' must come after the first firing"},
    {"every until after run", "run 9s\nevery 1s until 10s heal\n", 2, 7,
     "'until' 10s is after the end of the run"},
    {"every too often", "run 1h\nevery 1us heal\n", 2, 7, "'every' would fire more than"},
    {"every never fires", "run 9s\nevery 9s heal\n", 2, 7, "'every' starts at the end"},
    {"end of line", "run 9s\nat 1s heal now\n", 2, 12, "expected the end of the line, found 'now'"},
    {"missing word", "node e type=echo\nrun 9s\nat 1s crash\n", 3, 12,
     "expected node names separated by ','"},
    {"pause for", "node e type=echo\nrun 9s\nat 1s pause e 5s\n", 3, 15,
     "expected 'for', found '5s'"},
    {"pause zero", "node e type=echo\nrun 9s\nat 1s pause e for 0s\n", 3, 19,
     "a pause must last longer than 0"},
    {"partition all", "node e type=echo\nrun 9s\nat 1s partition all\n", 3, 17,
     "name the nodes on each side"},
    {"partition both sides", "node e type=echo\nrun 9s\nat 1s partition e | e\n", 3, 21,
     "node 'e' is on both sides"},
    {"latency side", "node e type=echo\nnode f type=echo\nrun 9s\nlatency e 1ms\n", 4, 11,
     "expected '|' or '->'"},
    {"disk command", "node e type=echo\nrun 9s\nat 1s disk e melt\n", 3, 14,
     "expected eio, bitflip"},
    {"disk op", "node e type=echo\nrun 9s\nat 1s disk e eio chew ppm=1\n", 3, 18,
     "expected read, write, sync, meta or all"},
    {"disk ppm", "node e type=echo\nrun 9s\nat 1s disk e eio read ppm=2000000\n", 3, 27,
     "number '2000000' is too large"},
    {"disk size", "node e type=echo\nrun 9s\nat 1s disk e capacity lots\n", 3, 23,
     "expected a whole number"},
    {"clock jump ms", "node e type=echo\nrun 9s\nat 1s clock e jump 5us\n", 3, 20,
     "clock jumps are whole milliseconds"},
    {"clock drift", "node e type=echo\nrun 9s\nat 1s clock e drift 5000\n", 3, 21,
     "number '5000' is out of range"},
    {"faults kind", "run 9s\nfaults until 5s every 1s kinds=crash,bolt\n", 2, 38,
     "unknown fault kind 'bolt'"},
    {"faults option", "run 9s\nfaults until 5s every 1s color=red\n", 2, 26,
     "unknown option 'color'"},
    {"faults until", "run 9s\nfaults from 5s until 6s every 0s\n", 2, 31,
     "the gap between faults must be longer than 0"},
    {"faults after run", "run 9s\nfaults until 10s every 1s\n", 2, 14, "time 10s is after the end"},
    {"world setting", "world speed=1\nrun 1s\n", 1, 7, "unknown world setting 'speed'"},
    {"world twice", "world seed=1 seed=2\nrun 1s\n", 1, 14, "world setting 'seed' is given twice"},
    {"world range", "world latency=3ms..1ms\nrun 1s\n", 1, 20, "range '3ms..1ms' goes backwards"},
    {"world seed", "world seed=-1\nrun 1s\n", 1, 12, "expected a whole number"},
    {"long line", NULL, 1, SCN_LINE_BYTES_MAX + 1, "line is longer than"},
};

static void errors(void **state)
{
    char *long_line = malloc(SCN_LINE_BYTES_MAX + 16);
    memset(long_line, 'x', SCN_LINE_BYTES_MAX + 8);
    long_line[SCN_LINE_BYTES_MAX + 8] = '\0';
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(error_cases); i++) {
        struct scn_script *script = (struct scn_script *)(uintptr_t)1;
        struct scn_error error;
        const char *text = error_cases[i].text != NULL ? error_cases[i].text : long_line;
        enum ks_err err = scn_parse(runner_lang(), "bad.scn", text, &script, &error);
        if (err == KS_OK || error.pos.line != error_cases[i].line ||
            error.pos.col != error_cases[i].col ||
            strncmp(error.message, error_cases[i].message, strlen(error_cases[i].message)) != 0) {
            fprintf(stderr, "case '%s' gave: ", error_cases[i].name);
            if (err == KS_OK)
                fprintf(stderr, "no error\n");
            else
                scn_error_print(&error, stderr);
            fail();
        }
        assert_null(script);
        assert_string_equal(error.file, "bad.scn");
    }
    free(long_line);
}

static void error_print_format(void **state)
{
    struct scn_script *script = NULL;
    struct scn_error error;
    assert_int_equal(scn_parse(runner_lang(), "x/y.scn", "run 1s\nat 2s heal\n", &script, &error),
                     KS_ERR_INVALID);
    char buf[256];
    FILE *out = fmemopen(buf, sizeof(buf), "w");
    scn_error_print(&error, out);
    fclose(out);
    assert_string_equal(buf, "x/y.scn:2:4: time 2s is after the end of the run (run 1s, line 1)\n");
    assert_int_equal(scn_parse_file(runner_lang(), "/nonexistent/z.scn", &script, &error),
                     KS_ERR_NOT_FOUND);
    assert_int_equal(error.pos.line, 0);
}

/* ---- Extension ------------------------------------------------------------------------ */

/* A verb from a later issue: `produce TOPIC rate=N`. */
struct produce_args {
    char topic[32];
    uint64_t rate;
};

static bool produce_parse(struct scn_parser *p, void **args_out)
{
    struct produce_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    struct scn_token topic, key, value;
    if (!scn_next(p, "a topic", &topic) || !scn_kv(p, "rate=N", &key, &value))
        return false;
    if (strcmp(key.text, "rate") != 0)
        return scn_fail(p, &key, "expected rate=N");
    snprintf(a->topic, sizeof(a->topic), "%s", topic.text);
    return scn_token_u64(p, &value, 100000, &a->rate) && scn_end(p);
}

static void produce_exec(struct runner_exec *x, const void *args) {}

static const struct scn_verb test_verbs[] = {
    {"produce", "produce TOPIC rate=N", SCN_VERB_TIMED | SCN_VERB_BARE, produce_parse, produce_exec,
     NULL},
};

static const struct scn_prop_spec broker_props[] = {
    {"min.insync.replicas", SCN_PROP_INT, false, 1, 16},
    {"unclean.leader.election.enable", SCN_PROP_BOOL, false, 0, 0},
    {"log.dirs", SCN_PROP_STRING, false, 0, 0},
};

static const struct scn_node_kind test_kinds[] = {
    {"broker", &fixture_echo_type, "a stand-in", broker_props, KS_ARRAY_COUNT(broker_props)},
    {"anything", &fixture_echo_type, "takes any property", NULL, 0},
};

static const struct inv_def test_no_acked_loss = {.name = "no_acked_loss", .summary = "test"};
static const struct inv_def *const test_invariants[] = {&test_no_acked_loss};

static const struct scn_module test_module = {
    .name = "test",
    .verbs = test_verbs,
    .verb_count = KS_ARRAY_COUNT(test_verbs),
    .node_kinds = test_kinds,
    .node_kind_count = KS_ARRAY_COUNT(test_kinds),
    .invariants = test_invariants,
    .invariant_count = KS_ARRAY_COUNT(test_invariants),
};

static const struct scn_module *const extended_modules[] = {
    &scn_world_module, &scn_world_fixture_module, &test_module};
static const struct scn_lang extended = {extended_modules, KS_ARRAY_COUNT(extended_modules)};

static void extension_tables(void **state)
{
    char message[256];
    assert_int_equal(scn_lang_check(&extended, message, sizeof(message)), KS_OK);
    struct scn_script *s =
        parse_ok(&extended, "node b1 type=broker min.insync.replicas=2 log.dirs=/data\n"
                            "node x type=anything whatever.key=1\n"
                            "produce orders rate=200\n"
                            "at 5s produce audit rate=10\n"
                            "at 6s crash b1\n"
                            "run 10s\n"
                            "expect no_acked_loss ping_progress\n");
    assert_int_equal(s->action_count, 3);
    const struct produce_args *a = s->actions[1].args;
    assert_string_equal(a->topic, "audit");
    assert_int_equal(a->rate, 10);
    assert_ptr_equal(s->actions[0].verb, &test_verbs[0]);
    assert_string_equal(s->actions[2].verb->name, "crash");
    assert_ptr_equal(s->expects[0].def, &test_no_acked_loss);
    assert_string_equal(props_get(&s->nodes[0]->config, "min.insync.replicas"), "2");
    assert_ptr_equal(scn_lang_node_kind(&extended, "broker"), &test_kinds[0]);
    assert_ptr_equal(scn_lang_invariant(&extended, "no_acked_loss"), &test_no_acked_loss);
    scn_script_free(s);

    /* The extension's errors come out the same way. */
    struct scn_error error;
    assert_int_equal(scn_parse(&extended, "e.scn", "run 1s\nproduce t speed=1\n", &s, &error),
                     KS_ERR_INVALID);
    assert_int_equal(error.pos.col, 11);
    assert_string_equal(error.message, "expected rate=N");
    assert_int_equal(scn_parse(&extended, "e.scn",
                               "node b type=broker unclean.leader.election.enable=maybe\nrun 1s\n",
                               &s, &error),
                     KS_ERR_INVALID);
    assert_int_equal(error.pos.col, 51);
    /* Without the module the same words are unknown. */
    assert_int_equal(scn_parse(runner_lang(), "e.scn", "produce t rate=1\nrun 1s\n", &s, &error),
                     KS_ERR_INVALID);
    assert_int_equal(error.pos.col, 1);
}

static const struct scn_verb clash_verbs[] = {
    {"crash", "crash X", SCN_VERB_TIMED, produce_parse, produce_exec, NULL},
};
static const struct scn_verb core_verbs[] = {
    {"every", "every", SCN_VERB_TIMED, produce_parse, produce_exec, NULL},
};
static const struct scn_verb incomplete_verbs[] = {
    {"nothing", "nothing", SCN_VERB_TIMED, produce_parse, NULL, NULL},
};

static void extension_clashes(void **state)
{
    static const struct scn_module clash = {"clash", clash_verbs, 1, NULL, 0, NULL, 0};
    static const struct scn_module core = {"core", core_verbs, 1, NULL, 0, NULL, 0};
    static const struct scn_module incomplete = {"inc", incomplete_verbs, 1, NULL, 0, NULL, 0};
    static const struct scn_module *const twice[] = {&scn_world_fixture_module,
                                                     &scn_world_fixture_module};
    static const struct scn_module *const with_clash[] = {&scn_world_module, &clash};
    static const struct scn_module *const with_core[] = {&core};
    static const struct scn_module *const with_incomplete[] = {&incomplete};
    char message[256];
    struct scn_lang lang = {twice, 2};
    assert_int_equal(scn_lang_check(&lang, message, sizeof(message)), KS_ERR_EXISTS);
    assert_string_equal(message, "node kind 'ping' of module fixture is defined twice");
    lang = (struct scn_lang){with_clash, 2};
    assert_int_equal(scn_lang_check(&lang, message, sizeof(message)), KS_ERR_EXISTS);
    assert_string_equal(message, "verb 'crash' of module clash is defined twice");
    lang = (struct scn_lang){with_core, 1};
    assert_int_equal(scn_lang_check(&lang, message, sizeof(message)), KS_ERR_EXISTS);
    lang = (struct scn_lang){with_incomplete, 1};
    assert_int_equal(scn_lang_check(&lang, message, sizeof(message)), KS_ERR_INVALID);
    assert_int_equal(scn_lang_check(runner_lang(), message, sizeof(message)), KS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_script_nodes),  cmocka_unit_test(good_script_actions),
        cmocka_unit_test(durations),          cmocka_unit_test(errors),
        cmocka_unit_test(error_print_format), cmocka_unit_test(extension_tables),
        cmocka_unit_test(extension_clashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
