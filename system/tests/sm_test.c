/*
 * sm_test.c: state-machine tables (system/sm.h): legality, edge numbering, name lookup,
 * table checks with bad tables, and every machine of system/ passing its own check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../sm.h"

enum { T_IDLE, T_BUSY, T_DONE };
static const char *const t_names[] = {"Idle", "Busy", "Done"};
static const uint32_t t_next[] = {
    [T_IDLE] = SM_BIT(T_BUSY),
    [T_BUSY] = SM_BIT(T_IDLE) | SM_BIT(T_BUSY) | SM_BIT(T_DONE),
    [T_DONE] = 0,
};
static const struct sm_def t_sm = {"toy", t_names, 3, t_next};

static void legality(void **state)
{
    static const struct {
        const char *name;
        uint32_t from, to;
        bool legal;
    } cases[] = {
        {"declared", T_IDLE, T_BUSY, true},      {"self re-entry", T_BUSY, T_BUSY, true},
        {"undeclared", T_IDLE, T_DONE, false},   {"from a final state", T_DONE, T_IDLE, false},
        {"out of range from", 7, T_IDLE, false}, {"out of range to", T_IDLE, 40, false},
    };
    for (uint32_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(sm_legal(&t_sm, cases[i].from, cases[i].to), cases[i].legal);
}

static void edges_numbered(void **state)
{
    assert_int_equal(sm_edge_count(&t_sm), 4);
    assert_int_equal(sm_edge_index(&t_sm, T_IDLE, T_BUSY), 0);
    assert_int_equal(sm_edge_index(&t_sm, T_BUSY, T_IDLE), 1);
    assert_int_equal(sm_edge_index(&t_sm, T_BUSY, T_BUSY), 2);
    assert_int_equal(sm_edge_index(&t_sm, T_BUSY, T_DONE), 3);
    assert_int_equal(sm_edge_index(&t_sm, T_DONE, T_IDLE), -1);
    for (uint32_t e = 0; e < sm_edge_count(&t_sm); e++) {
        uint32_t from = 0, to = 0;
        sm_edge_at(&t_sm, e, &from, &to);
        assert_int_equal(sm_edge_index(&t_sm, from, to), (int32_t)e);
    }
    assert_int_equal(sm_state_find(&t_sm, "Busy", 4), T_BUSY);
    assert_int_equal(sm_state_find(&t_sm, "Bus", 3), -1);
    char text[64];
    sm_format(&t_sm, T_BUSY, T_DONE, text, sizeof(text));
    assert_string_equal(text, "toy Busy->Done");
}

static void bad_tables(void **state)
{
    static const char *const dup_names[] = {"A", "A"};
    static const char *const spaced_names[] = {"A", "B C"};
    static const uint32_t two_next[] = {SM_BIT(1), 0};
    static const uint32_t beyond_next[] = {SM_BIT(5), 0};
    const struct sm_def bad[] = {
        {"dup", dup_names, 2, two_next},
        {"spaced", spaced_names, 2, two_next},
        {"beyond", t_names, 2, beyond_next},
        {"bad name", t_names, 3, t_next},
        {"", t_names, 3, t_next},
        {"empty", t_names, 0, t_next},
    };
    char why[128];
    for (uint32_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(sm_def_check(&bad[i], why, sizeof(why)), KS_ERR_INVALID);
        assert_true(why[0] != '\0');
    }
    assert_int_equal(sm_def_check(&t_sm, why, sizeof(why)), KS_OK);
}

static void system_machines_check(void **state)
{
    const struct sm_def *machines[] = {&raft_sm, &seg_sm, &cleaner_sm};
    char why[128];
    for (uint32_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
        assert_int_equal(sm_def_check(machines[i], why, sizeof(why)), KS_OK);
        assert_true(sm_edge_count(machines[i]) > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(legality),
        cmocka_unit_test(edges_numbered),
        cmocka_unit_test(bad_tables),
        cmocka_unit_test(system_machines_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
