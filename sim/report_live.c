/*
 * report_live.c: the report's liveness and state-machine coverage sections, see
 * report_live.h. Names are single words from static tables, so they need no escaping.
 */
#include "report_live.h"

#include <inttypes.h>

static void report_live_pct_row(FILE *out, const char *name, const char *unit,
                                const struct fig_pct *p)
{
    if (p->count == 0) {
        fprintf(out, "<tr><td>%s</td><td colspan='5'>no samples</td></tr>", name);
        return;
    }
    fprintf(out,
            "<tr><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64 " %s</td><td>%" PRIu64
            " %s</td><td>%" PRIu64 " %s</td><td>%" PRIu64 " %s</td></tr>",
            name, p->count, p->p50, unit, p->p90, unit, p->p99, unit, p->max, unit);
}

void report_live_phases(FILE *out, const struct runner_result *r)
{
    fprintf(out,
            "<h2>Liveness phase</h2><p>Faults stop, partitions heal, crashed nodes restart "
            "and disk faults clear at %" PRIu64 " ms; each condition then has %" PRIu64
            " ms (until %" PRIu64 " ms).</p><table><tr><th>condition</th><th>recovered "
            "after</th></tr>",
            r->phase.from_ns / 1000000u, r->phase.budget_ns / 1000000u,
            r->phase.deadline_ns / 1000000u);
    KS_ASSERT(r->liveness_count <= INV_CHECKERS_MAX);
    for (uint32_t i = 0; i < r->liveness_count; i++) {
        const struct inv_liveness_result *l = &r->liveness[i];
        if (l->met)
            fprintf(out, "<tr><td>%s</td><td class='ok'>%" PRIu64 " ms</td></tr>", l->name,
                    l->recovered_ns / 1000000u);
        else
            fprintf(out, "<tr><td>%s</td><td class='bad'>not within the budget</td></tr>", l->name);
    }
    fputs("</table><h2>Liveness figures</h2><table><tr><th>figure</th><th>samples</th>"
          "<th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>",
          out);
    report_live_pct_row(out, "ping round trip", "us", &r->figures.ping_rtt_us);
    report_live_pct_row(out, "leader election after a leader crash", "ms",
                        &r->figures.leader_election_ms);
    report_live_pct_row(out, "partition under-replicated", "ms", &r->figures.under_replicated_ms);
    report_live_pct_row(out, "rebalance", "ms", &r->figures.rebalance_ms);
    fputs("</table>\n", out);
}

void report_live_coverage(FILE *out, const struct runner_result *r)
{
    const struct smcov *c = &r->sm_coverage;
    fprintf(out,
            "<h2>State-machine coverage</h2><p>%u of %u declared transitions taken in this "
            "run.</p><table><tr><th>machine</th><th>transition</th><th>count</th></tr>",
            smcov_reached(c), smcov_slot_count());
    for (uint32_t m = 0; m < smcov_machine_count(); m++) {
        const struct sm_def *def = smcov_machine(m);
        uint32_t base = smcov_base(m), total = sm_edge_count(def);
        for (uint32_t e = 0; e < total; e++) {
            uint32_t from = 0, to = 0, count = c->counts[base + e];
            sm_edge_at(def, e, &from, &to);
            fprintf(out, "<tr><td>%s</td><td>%s&rarr;%s</td><td%s>%s", def->name,
                    def->state_names[from], def->state_names[to], count == 0 ? " class='bad'" : "",
                    count == 0 ? "never" : "");
            if (count > 0)
                fprintf(out, "%u", count);
            fputs("</td></tr>", out);
        }
    }
    fputs("</table>\n", out);
}
