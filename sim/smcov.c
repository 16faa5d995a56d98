/*
 * smcov.c: state-machine coverage counts, see smcov.h.
 *
 * The machine list is one static const table; slot bases are computed from it on each
 * call (a few dozen additions), so there is no mutable global.
 */
#include "smcov.h"

#include <string.h>

#include "tests/fixture_pingecho.h"
#include "world.h"

static const struct sm_def *const smcov_machines[] = {
    &world_node_sm, &fixture_ping_conn_sm, &raft_sm, &seg_sm, &cleaner_sm,
};
_Static_assert(KS_ARRAY_COUNT(smcov_machines) <= SMCOV_MACHINES_MAX, "machines fit");

uint32_t smcov_machine_count(void)
{
    return KS_ARRAY_COUNT(smcov_machines);
}

const struct sm_def *smcov_machine(uint32_t index)
{
    KS_ASSERT(index < KS_ARRAY_COUNT(smcov_machines));
    return smcov_machines[index];
}

uint32_t smcov_base(uint32_t index)
{
    KS_ASSERT(index <= KS_ARRAY_COUNT(smcov_machines));
    uint32_t base = 0;
    for (uint32_t i = 0; i < index; i++)
        base += sm_edge_count(smcov_machines[i]);
    KS_ASSERT(base <= SMCOV_SLOTS_MAX);
    return base;
}

uint32_t smcov_slot_count(void)
{
    return smcov_base(KS_ARRAY_COUNT(smcov_machines));
}

void smcov_reset(struct smcov *cov)
{
    memset(cov, 0, sizeof(*cov));
    cov->runs = 1;
}

static void smcov_add(uint32_t *slot, uint32_t n)
{
    *slot = *slot > UINT32_MAX - n ? UINT32_MAX : *slot + n;
}

/* "MACHINE FROM->TO": the machine's index and the slot, or false. */
static bool smcov_parse(const char *text, size_t len, uint32_t *slot_out)
{
    const char *space = memchr(text, ' ', len);
    if (space == NULL)
        return false;
    size_t name_len = (size_t)(space - text);
    const char *from = space + 1;
    size_t rest = len - name_len - 1;
    const char *arrow = NULL;
    for (size_t i = 0; i + 1 < rest; i++) {
        if (from[i] == '-' && from[i + 1] == '>') {
            arrow = from + i;
            break;
        }
    }
    if (arrow == NULL)
        return false;
    const char *to = arrow + 2;
    size_t to_len = rest - (size_t)(to - from);
    for (uint32_t m = 0; m < KS_ARRAY_COUNT(smcov_machines); m++) {
        const struct sm_def *def = smcov_machines[m];
        if (strlen(def->name) != name_len || memcmp(def->name, text, name_len) != 0)
            continue;
        int32_t f = sm_state_find(def, from, (size_t)(arrow - from));
        int32_t t = sm_state_find(def, to, to_len);
        int32_t e = f < 0 || t < 0 ? -1 : sm_edge_index(def, (uint32_t)f, (uint32_t)t);
        if (e < 0)
            return false;
        *slot_out = smcov_base(m) + (uint32_t)e;
        return true;
    }
    return false;
}

bool smcov_record(struct smcov *cov, const char *text, size_t len)
{
    uint32_t slot = 0;
    if (!smcov_parse(text, len, &slot)) {
        smcov_add(&cov->unknown, 1);
        return false;
    }
    KS_ASSERT(slot < smcov_slot_count());
    smcov_add(&cov->counts[slot], 1);
    return true;
}

void smcov_merge(struct smcov *into, const struct smcov *from)
{
    uint32_t slots = smcov_slot_count();
    for (uint32_t i = 0; i < slots; i++)
        smcov_add(&into->counts[i], from->counts[i]);
    smcov_add(&into->unknown, from->unknown);
    smcov_add(&into->runs, from->runs);
}

uint32_t smcov_reached(const struct smcov *cov)
{
    uint32_t slots = smcov_slot_count(), reached = 0;
    for (uint32_t i = 0; i < slots; i++)
        reached += cov->counts[i] > 0 ? 1u : 0u;
    KS_ASSERT(reached <= slots);
    return reached;
}

void smcov_machine_reached(const struct smcov *cov, uint32_t m, uint32_t *reached_out,
                           uint32_t *total_out)
{
    uint32_t base = smcov_base(m), total = sm_edge_count(smcov_machine(m)), reached = 0;
    for (uint32_t e = 0; e < total; e++)
        reached += cov->counts[base + e] > 0 ? 1u : 0u;
    *reached_out = reached;
    *total_out = total;
}

static void smcov_json_machine(FILE *out, const struct smcov *cov, uint32_t m)
{
    const struct sm_def *def = smcov_machine(m);
    uint32_t base = smcov_base(m), total = sm_edge_count(def), reached = 0;
    smcov_machine_reached(cov, m, &reached, &total);
    fprintf(out, "{\"name\":\"%s\",\"reached\":%u,\"total\":%u,\"transitions\":[", def->name,
            reached, total);
    for (uint32_t e = 0; e < total; e++) {
        uint32_t from = 0, to = 0;
        sm_edge_at(def, e, &from, &to);
        fprintf(out, "%s{\"from\":\"%s\",\"to\":\"%s\",\"count\":%u}", e == 0 ? "" : ",",
                def->state_names[from], def->state_names[to], cov->counts[base + e]);
    }
    fputs("],\"never\":[", out);
    bool first = true;
    for (uint32_t e = 0; e < total; e++) {
        uint32_t from = 0, to = 0;
        if (cov->counts[base + e] > 0)
            continue;
        sm_edge_at(def, e, &from, &to);
        fprintf(out, "%s\"%s->%s\"", first ? "" : ",", def->state_names[from],
                def->state_names[to]);
        first = false;
    }
    fputs("]}", out);
}

void smcov_json(FILE *out, const struct smcov *cov)
{
    fprintf(out,
            "\"sm_coverage\":{\"runs\":%u,\"reached\":%u,\"total\":%u,\"unknown\":%u,"
            "\"machines\":[",
            cov->runs, smcov_reached(cov), smcov_slot_count(), cov->unknown);
    for (uint32_t m = 0; m < smcov_machine_count(); m++) {
        fputs(m == 0 ? "" : ",", out);
        smcov_json_machine(out, cov, m);
    }
    fputs("]}", out);
}

void smcov_table(FILE *out, const struct smcov *cov)
{
    fprintf(out, "state-machine coverage: %u of %u transitions reached over %u run(s)\n",
            smcov_reached(cov), smcov_slot_count(), cov->runs);
    for (uint32_t m = 0; m < smcov_machine_count(); m++) {
        const struct sm_def *def = smcov_machine(m);
        uint32_t base = smcov_base(m), reached = 0, total = 0;
        smcov_machine_reached(cov, m, &reached, &total);
        fprintf(out, "  %-12s %u/%u\n", def->name, reached, total);
        for (uint32_t e = 0; e < total; e++) {
            uint32_t from = 0, to = 0;
            char name[2 * SM_NAME_BYTES_MAX + 4];
            sm_edge_at(def, e, &from, &to);
            snprintf(name, sizeof(name), "%s->%s", def->state_names[from], def->state_names[to]);
            if (cov->counts[base + e] == 0)
                fprintf(out, "    %-34s %10s\n", name, "never");
            else
                fprintf(out, "    %-34s %10u\n", name, cov->counts[base + e]);
        }
    }
    if (cov->unknown > 0)
        fprintf(out, "  (%u sm events of unlisted machines or undeclared moves)\n", cov->unknown);
}

uint32_t smcov_rarest(const struct smcov *swarm, const struct smcov *run)
{
    uint32_t slots = smcov_slot_count(), rarest = UINT32_MAX;
    for (uint32_t i = 0; i < slots; i++) {
        if (run->counts[i] > 0 && swarm->counts[i] < rarest)
            rarest = swarm->counts[i];
    }
    KS_ASSERT(slots <= SMCOV_SLOTS_MAX);
    return rarest;
}
