/*
 * report.c: the HTML report, see report.h. Everything is drawn from the captured
 * trace: node lifecycle records give the state bars, fault records the marks, and
 * net.send/net.recv records, paired first-in first-out per connection and direction
 * (connections are TCP-like: ordered), the arrows of the message sequence chart.
 * Floating point appears only in drawing coordinates, never in a decision of a run.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "explain.h"
#include "narrate.h"
#include "report_live.h"

#define REPORT_WIDTH_PX 1100.0
#define REPORT_LANE_PX 26.0
#define REPORT_LEFT_PX 110.0
#define REPORT_MSC_COL_PX 130.0
#define REPORT_MSC_ROW_PX 18.0
#define REPORT_MSC_TIME_PX 80.0 /* the time column, left of the lanes */
#define REPORT_TEXT_BYTES_MAX 1024u
#define REPORT_PATH_BYTES_MAX 4096u

static const char report_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
    "pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}"
    ".bad{background:#fde8e8;border:1px solid #e99;padding:8px 12px}"
    ".good{background:#e8f6e8;border:1px solid #9c9;padding:8px 12px}"
    "svg text{font:11px monospace}.held{color:#161}.violated{color:#b00;font-weight:bold}";

static void html_escape(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i] != '\0'; i++) {
        switch (s[i]) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(s[i], out);
        }
    }
}

static void html_text(FILE *out, const char *s)
{
    html_escape(out, s, strlen(s));
}

static int report_node_index(const struct report_input *in, const char *name)
{
    return scn_node_find(in->script, name);
}

static uint64_t report_end_ns(const struct report_input *in)
{
    const struct runner_result *r = in->result;
    return r->violation_count > 0 ? r->violations[0].time_ns : r->sim_ns;
}

/* ---- Facts, violation, invariants --------------------------------------------------- */

static void report_facts(FILE *out, const struct report_input *in)
{
    const struct runner_result *r = in->result;
    fputs("<table>", out);
    fputs("<tr><th>scenario</th><td>", out);
    html_text(out, in->name);
    fprintf(out, "</td></tr><tr><th>seed</th><td>%" PRIu64 "</td></tr><tr><th>bugs</th><td>",
            r->seed);
    for (uint32_t i = 0; i < in->options->bug_count; i++)
        fprintf(out, "%s%s", i > 0 ? ", " : "", in->options->bug_names[i]);
    fprintf(out,
            "%s</td></tr><tr><th>trace hash</th><td>%016" PRIx64 "</td></tr>"
            "<tr><th>events</th><td>%" PRIu64 "</td></tr>"
            "<tr><th>simulated</th><td>%" PRIu64 " ms</td></tr></table>\n",
            in->options->bug_count == 0 ? "none" : "", r->trace_hash, r->events,
            (uint64_t)(r->sim_ns / WORLD_NS_PER_MS));
    fputs("<h2>Replay</h2><pre>", out);
    html_text(out, in->replay_command);
    fputs("</pre>\n", out);
}

static const char *report_summary_of(const char *invariant)
{
    const struct inv_def *def = scn_lang_invariant(runner_lang(), invariant);
    return def != NULL ? def->summary : "(not in this ksim's language)";
}

static void report_violation(FILE *out, const struct report_input *in)
{
    const struct runner_result *r = in->result;
    if (r->violation_count == 0) {
        fputs("<p class=good>Every invariant held.</p>\n", out);
        return;
    }
    const struct inv_violation *v = &r->violations[0];
    char t[32];
    narrate_time(v->time_ns, t, sizeof(t));
    fputs("<div class=bad><b>Violation of ", out);
    html_text(out, v->invariant);
    fprintf(out, "</b> at %s", t);
    if (v->node[0] != '\0') {
        fputs(" on ", out);
        html_text(out, v->node);
    }
    fputs(": ", out);
    html_text(out, v->message);
    fputs("<br><i>", out);
    html_text(out, report_summary_of(v->invariant));
    fprintf(out, "</i><br>%" PRIu32 " violation(s) in all.</div>\n",
            r->violation_count + r->violations_dropped);
}

static void report_invariants(FILE *out, const struct report_input *in)
{
    const struct runner_result *r = in->result;
    fputs("<h2>Invariants</h2><table><tr><th>invariant</th><th>result</th><th>what it "
          "checks</th></tr>\n",
          out);
    KS_ASSERT(in->script->expect_count <= SCN_EXPECTS_MAX);
    for (uint32_t i = 0; i < in->script->expect_count; i++) {
        const struct inv_def *def = in->script->expects[i].def;
        uint32_t count = 0;
        for (uint32_t v = 0; v < r->violation_count; v++)
            count += strcmp(r->violations[v].invariant, def->name) == 0 ? 1u : 0u;
        fputs("<tr><td>", out);
        html_text(out, def->name);
        if (count > 0)
            fprintf(out, "</td><td class=violated>violated (%" PRIu32 ")", count);
        else
            fputs("</td><td class=held>held", out);
        fputs("</td><td>", out);
        html_text(out, def->summary);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* ---- Timeline ------------------------------------------------------------------------ */

struct lane_state {
    int state; /* 0 down or not started, 1 running, 2 paused */
    uint64_t since_ns;
};

static double tl_x(const struct report_input *in, uint64_t ns)
{
    uint64_t span = in->result->sim_ns > 0 ? in->result->sim_ns : 1;
    return REPORT_LEFT_PX + (REPORT_WIDTH_PX - REPORT_LEFT_PX - 10.0) * (double)ns / (double)span;
}

static void tl_bar(FILE *out, const struct report_input *in, int lane, const struct lane_state *s,
                   uint64_t until_ns)
{
    static const char *const colors[] = {"#eee", "#7c7", "#ec6"};
    KS_ASSERT(s->state >= 0 && s->state <= 2);
    if (s->state == 0 || until_ns < s->since_ns)
        return;
    double x0 = tl_x(in, s->since_ns), x1 = tl_x(in, until_ns);
    fprintf(out, "<rect x='%.1f' y='%.1f' width='%.1f' height='12' fill='%s'/>", x0,
            30.0 + lane * REPORT_LANE_PX, x1 - x0 < 0.5 ? 0.5 : x1 - x0, colors[s->state]);
}

/* The lane state a record leads to, or -1 when it does not change it. */
static int tl_next_state(const char *kind)
{
    if (strcmp(kind, "node.start") == 0 || strcmp(kind, "node.resume") == 0)
        return 1;
    if (strcmp(kind, "fault.pause") == 0)
        return 2;
    if (strcmp(kind, "fault.crash") == 0 || strcmp(kind, "fault.kill") == 0 ||
        strcmp(kind, "node.stop") == 0)
        return 0;
    return -1;
}

static void tl_mark(FILE *out, const struct report_input *in, int lane,
                    const struct tracelog_record *rec)
{
    char sentence[NARRATE_SENTENCE_BYTES_MAX], t[32];
    if (!narrate_sentence(rec, sentence, sizeof(sentence)))
        return;
    bool down = tl_next_state(rec->kind) == 0;
    narrate_time(rec->time_ns, t, sizeof(t));
    fprintf(out, "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'><title>%s ", tl_x(in, rec->time_ns),
            36.0 + lane * REPORT_LANE_PX, down ? "#c22" : "#36c", t);
    html_text(out, sentence);
    fputs("</title></circle>", out);
}

static void tl_partitions(FILE *out, const struct report_input *in, int lane)
{
    uint64_t split_ns = 0;
    bool split = false;
    for (uint32_t i = 0; i < tracelog_count(in->log); i++) {
        struct tracelog_record rec;
        if (!tracelog_get(in->log, i, &rec))
            continue;
        bool part = strcmp(rec.kind, "fault.partition") == 0;
        bool heal = strcmp(rec.kind, "fault.heal") == 0;
        if (part && !split) {
            split = true;
            split_ns = rec.time_ns;
        }
        if (heal && split) {
            split = false;
            fprintf(out, "<rect x='%.1f' y='%.1f' width='%.1f' height='12' fill='#c9d'/>",
                    tl_x(in, split_ns), 30.0 + lane * REPORT_LANE_PX,
                    tl_x(in, rec.time_ns) - tl_x(in, split_ns) + 0.5);
        }
        if (part || heal)
            tl_mark(out, in, lane, &rec);
    }
    if (split)
        fprintf(out, "<rect x='%.1f' y='%.1f' width='%.1f' height='12' fill='#c9d'/>",
                tl_x(in, split_ns), 30.0 + lane * REPORT_LANE_PX,
                tl_x(in, in->result->sim_ns) - tl_x(in, split_ns) + 0.5);
}

static void tl_axis(FILE *out, const struct report_input *in, double height)
{
    uint64_t span_s = in->result->sim_ns / 1000000000u + 1;
    uint64_t step = span_s <= 20 ? 1 : span_s <= 120 ? 10 : span_s <= 1200 ? 60 : 600;
    for (uint64_t s = 0; s * 1000000000u <= in->result->sim_ns; s += step) {
        double x = tl_x(in, s * 1000000000u);
        fprintf(out,
                "<line x1='%.1f' y1='22' x2='%.1f' y2='%.1f' stroke='#ddd'/><text x='%.1f' "
                "y='16'>%" PRIu64 "s</text>",
                x, x, height, x - 6, s);
    }
}

static void report_timeline(FILE *out, const struct report_input *in)
{
    uint32_t nodes = in->script->node_count;
    double height = 40.0 + (nodes + 1) * REPORT_LANE_PX;
    struct lane_state *lanes = ks_alloc((nodes + 1) * sizeof(*lanes));
    fprintf(out,
            "<h2>Timeline</h2><p>Green: running, yellow: paused, blank: down. Purple: a "
            "partition. Dots are faults and lifecycle events (hover for details).</p>\n"
            "<svg width='%.0f' height='%.0f' xmlns='http://www.w3.org/2000/svg'>",
            REPORT_WIDTH_PX, height);
    tl_axis(out, in, height);
    for (uint32_t i = 0; i < nodes; i++) {
        fprintf(out, "<text x='4' y='%.1f'>", 40.0 + i * REPORT_LANE_PX);
        html_text(out, in->script->nodes[i]->name);
        fputs("</text>", out);
    }
    fprintf(out, "<text x='4' y='%.1f'>network</text>", 40.0 + nodes * REPORT_LANE_PX);
    for (uint32_t i = 0; i < tracelog_count(in->log); i++) {
        struct tracelog_record rec;
        if (!tracelog_get(in->log, i, &rec))
            continue;
        int lane = report_node_index(in, rec.node);
        int next = tl_next_state(rec.kind);
        if (lane < 0)
            continue;
        if (next >= 0 && next != lanes[lane].state) {
            tl_bar(out, in, lane, &lanes[lane], rec.time_ns);
            lanes[lane] = (struct lane_state){next, rec.time_ns};
        }
        if (strncmp(rec.kind, "fault.", 6) == 0 || strcmp(rec.kind, "node.start") == 0 ||
            strcmp(rec.kind, "node.stop") == 0)
            tl_mark(out, in, lane, &rec);
    }
    for (uint32_t i = 0; i < nodes; i++)
        tl_bar(out, in, (int)i, &lanes[i], in->result->sim_ns);
    tl_partitions(out, in, (int)nodes);
    if (in->result->violation_count > 0) {
        double x = tl_x(in, in->result->violations[0].time_ns);
        fprintf(out,
                "<line x1='%.1f' y1='22' x2='%.1f' y2='%.1f' stroke='#d00' stroke-width='2'/>"
                "<text x='%.1f' y='%.1f' fill='#d00'>violation</text>",
                x, x, height, x + 3, height - 2);
    }
    fputs("</svg>\n", out);
    free(lanes);
}

/* ---- Message sequence chart ----------------------------------------------------------- */

struct msc_conn {
    uint64_t id;
    int end[2]; /* connector, acceptor (-1 unknown) */
    uint64_t sent[2];
    uint64_t received[2];
};

struct msc_row {
    uint64_t time_ns;
    int node;
    bool is_send;
    bool is_recv;
    uint32_t conn; /* index into conns */
    uint32_t dir;  /* 0: connector to acceptor */
    uint64_t seq;  /* per connection and direction */
    uint32_t bytes;
    char label[160];
};

struct msc {
    struct msc_conn *conns;
    uint32_t conn_count;
    struct msc_row rows[REPORT_MSC_ROWS_MAX];
    uint32_t row_count;
};

static bool msc_kind_net(const char *kind)
{
    return strcmp(kind, "net.send") == 0 || strcmp(kind, "net.recv") == 0;
}

static bool msc_eligible(const struct report_input *in, const struct tracelog_record *rec)
{
    if (report_node_index(in, rec->node) < 0)
        return false;
    return msc_kind_net(rec->kind) || strncmp(rec->kind, "fault.", 6) == 0 ||
           strcmp(rec->kind, "node.start") == 0 || strcmp(rec->kind, "node.stop") == 0 ||
           strcmp(rec->kind, "net.broken") == 0;
}

static uint32_t msc_conn(struct msc *m, uint64_t id)
{
    for (uint32_t i = m->conn_count; i > 0; i--) {
        if (m->conns[i - 1].id == id)
            return i - 1;
    }
    KS_ASSERT(m->conn_count < REPORT_CONNS_MAX);
    m->conns[m->conn_count] = (struct msc_conn){.id = id, .end = {-1, -1}};
    return m->conn_count++;
}

/* Connection bookkeeping for one record; fills row's conn, dir and seq for traffic. */
static void msc_track(struct msc *m, int node, const struct tracelog_record *rec,
                      struct msc_row *row)
{
    char text[REPORT_TEXT_BYTES_MAX];
    tracelog_text_copy(rec, text, sizeof(text));
    const char *c = strstr(text, "conn=");
    if (c == NULL)
        return;
    uint32_t conn = msc_conn(m, strtoull(c + 5, NULL, 10));
    struct msc_conn *mc = &m->conns[conn];
    if (strcmp(rec->kind, "net.connect") == 0)
        mc->end[0] = node;
    if (strcmp(rec->kind, "net.accept") == 0)
        mc->end[1] = node;
    if (!msc_kind_net(rec->kind))
        return;
    bool send = strcmp(rec->kind, "net.send") == 0;
    uint32_t dir = (mc->end[0] == node) == send ? 0u : 1u;
    row->conn = conn;
    row->dir = dir;
    row->is_send = send;
    row->is_recv = !send;
    row->seq = send ? mc->sent[dir]++ : mc->received[dir]++;
    const char *b = strstr(text, "bytes=");
    row->bytes = b != NULL ? (uint32_t)strtoul(b + 6, NULL, 10) : 0;
}

static void msc_collect(struct msc *m, const struct report_input *in, uint64_t end_ns)
{
    uint32_t eligible = 0;
    for (uint32_t i = 0; i < tracelog_count(in->log); i++) {
        struct tracelog_record rec;
        if (tracelog_get(in->log, i, &rec) && rec.time_ns <= end_ns && msc_eligible(in, &rec))
            eligible++;
    }
    uint32_t skip = eligible > REPORT_MSC_ROWS_MAX ? eligible - REPORT_MSC_ROWS_MAX : 0;
    for (uint32_t i = 0, seen = 0; i < tracelog_count(in->log); i++) {
        struct tracelog_record rec;
        if (!tracelog_get(in->log, i, &rec) || rec.time_ns > end_ns)
            continue;
        int node = report_node_index(in, rec.node);
        struct msc_row row = {.time_ns = rec.time_ns, .node = node};
        if (node >= 0)
            msc_track(m, node, &rec, &row);
        if (!msc_eligible(in, &rec) || seen++ < skip)
            continue;
        KS_ASSERT(m->row_count < REPORT_MSC_ROWS_MAX);
        if (!msc_kind_net(rec.kind) && !narrate_sentence(&rec, row.label, sizeof(row.label)))
            snprintf(row.label, sizeof(row.label), "%s", rec.kind);
        m->rows[m->row_count++] = row;
    }
}

static double msc_x(int node)
{
    return REPORT_MSC_TIME_PX + REPORT_MSC_COL_PX / 2 + node * REPORT_MSC_COL_PX;
}

static double msc_y(uint32_t row)
{
    return 50.0 + row * REPORT_MSC_ROW_PX;
}

/* The row of the receive matching a send (or the send matching a receive), or -1. */
static int msc_partner(const struct msc *m, uint32_t row)
{
    const struct msc_row *r = &m->rows[row];
    for (uint32_t j = 0; j < m->row_count; j++) {
        const struct msc_row *o = &m->rows[j];
        if (o->conn == r->conn && o->dir == r->dir && o->seq == r->seq &&
            o->is_send != r->is_send && (o->is_send || o->is_recv))
            return (int)j;
    }
    return -1;
}

static int msc_peer(const struct msc *m, const struct msc_row *r)
{
    const struct msc_conn *c = &m->conns[r->conn];
    uint32_t to_end = r->is_send ? 1u - r->dir : r->dir;
    return r->is_send ? c->end[to_end ^ 0u] : c->end[r->dir];
}

static void msc_arrow(FILE *out, const struct msc *m, uint32_t i, double bottom)
{
    const struct msc_row *r = &m->rows[i];
    int partner = msc_partner(m, i);
    if (r->is_recv && partner >= 0)
        return; /* drawn from its send */
    int from = r->is_send ? r->node : msc_peer(m, r);
    int to = r->is_send ? msc_peer(m, r) : r->node;
    if (from < 0 || to < 0)
        return;
    double y0 = r->is_send ? msc_y(i) : 40.0;
    double y1 = partner >= 0 ? msc_y((uint32_t)partner) : r->is_send ? bottom : msc_y(i);
    fprintf(out,
            "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' %s "
            "marker-end='url(#arrow)'><title>%" PRIu32 " bytes, connection %" PRIu64
            "%s</title></line>",
            msc_x(from), y0, msc_x(to), y1, partner >= 0 ? "#246" : "#a44",
            partner >= 0 ? "" : "stroke-dasharray='4 3'", r->bytes, m->conns[r->conn].id,
            partner >= 0 ? ""
                         : (r->is_send ? " (not delivered before the end)" : " (sent earlier)"));
}

static void msc_draw(FILE *out, const struct report_input *in, const struct msc *m)
{
    uint32_t nodes = in->script->node_count;
    double width = REPORT_MSC_TIME_PX + nodes * REPORT_MSC_COL_PX,
           bottom = msc_y(m->row_count) + 10.0;
    fprintf(out,
            "<svg width='%.0f' height='%.0f' xmlns='http://www.w3.org/2000/svg'><defs><marker "
            "id='arrow' markerWidth='8' markerHeight='8' refX='7' refY='3' orient='auto'><path "
            "d='M0,0 L7,3 L0,6 z' fill='#246'/></marker></defs>",
            width + 260.0, bottom + 20.0);
    for (uint32_t i = 0; i < nodes; i++) {
        fprintf(out,
                "<line x1='%.1f' y1='30' x2='%.1f' y2='%.1f' stroke='#999'/><text x='%.1f' "
                "y='20'>",
                msc_x((int)i), msc_x((int)i), bottom, msc_x((int)i) - 20);
        html_text(out, in->script->nodes[i]->name);
        fputs("</text>", out);
    }
    for (uint32_t i = 0; i < m->row_count; i++) {
        const struct msc_row *r = &m->rows[i];
        char t[32];
        narrate_time(r->time_ns, t, sizeof(t));
        fprintf(out, "<text x='4' y='%.1f' fill='#888'>%s</text>", msc_y(i) + 4, t);
        if (r->is_send || r->is_recv) {
            msc_arrow(out, m, i, bottom);
            continue;
        }
        fprintf(out, "<rect x='%.1f' y='%.1f' width='10' height='10' fill='#c22'><title>",
                msc_x(r->node) - 5, msc_y(i) - 5);
        html_text(out, r->label);
        fprintf(out, "</title></rect><text x='%.1f' y='%.1f' fill='#c22'>", msc_x(r->node) + 8,
                msc_y(i) + 4);
        html_escape(out, r->label, 40);
        fputs("</text>", out);
    }
    fputs("</svg>\n", out);
}

static void report_msc(FILE *out, const struct report_input *in)
{
    struct msc *m = ks_alloc(sizeof(*m));
    m->conns = ks_alloc(REPORT_CONNS_MAX * sizeof(*m->conns));
    msc_collect(m, in, report_end_ns(in));
    fprintf(out,
            "<h2>Message sequence chart</h2><p>The last %" PRIu32 " messages and faults before "
            "the %s. Time runs down; dashed arrows were still in flight (or sent before the "
            "chart begins).</p>\n",
            m->row_count, in->result->violation_count > 0 ? "violation" : "end of the run");
    msc_draw(out, in, m);
    free(m->conns);
    free(m);
}

/* ---- Narration and scenario ---------------------------------------------------------- */

static void report_narration(FILE *out, const struct report_input *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL)
        return;
    narrate_log(in->log, in->result, mem);
    if (fclose(mem) != 0) {
        free(buf);
        return;
    }
    /* The last lines up to the violation's line (or the end). */
    const char *stop = in->result->violation_count > 0 ? strstr(buf, "VIOLATION") : NULL;
    size_t end = stop != NULL ? (size_t)(strchr(stop, '\n') - buf) + 1 : len;
    size_t start = end;
    for (uint32_t lines = 0; start > 0 && lines <= REPORT_NARRATION_LINES_MAX; start--)
        lines += buf[start - 1] == '\n' ? 1u : 0u;
    fputs("<h2>Narration</h2><pre>", out);
    html_escape(out, buf + start, end - start);
    fputs("</pre>\n", out);
    free(buf);
}

/* Why it broke: the violation's causal slice (explain.h), when there is a violation. */
static void report_explain(FILE *out, const struct report_input *in)
{
    if (in->result->violation_count == 0)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL)
        return;
    explain_violation(in->log, in->result, mem);
    if (fclose(mem) == 0) {
        fputs("<h2>Why it broke</h2><p>The records that touched the nodes and partitions the "
              "violation names, oldest first (ksim replay --explain).</p><pre>",
              out);
        html_escape(out, buf, len);
        fputs("</pre>\n", out);
    }
    free(buf);
}

enum ks_err report_write(const char *path, const struct report_input *in)
{
    FILE *out = fopen(path, "w");
    if (out == NULL)
        return KS_ERR_IO;
    fprintf(out, "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ksim report: ");
    html_text(out, in->name);
    fprintf(out, "</title><style>%s</style></head><body><h1>ksim report: ", report_css);
    html_text(out, in->name);
    fputs("</h1>\n", out);
    report_violation(out, in);
    report_facts(out, in);
    report_invariants(out, in);
    report_live_phases(out, in->result);
    report_timeline(out, in);
    report_msc(out, in);
    report_explain(out, in);
    report_narration(out, in);
    report_live_coverage(out, in->result);
    if (in->scenario_text != NULL) {
        fputs("<h2>Scenario</h2><pre>", out);
        html_text(out, in->scenario_text);
        fputs("</pre>\n", out);
    }
    fputs("</body></html>\n", out);
    bool failed = ferror(out) != 0;
    failed |= fclose(out) != 0;
    return failed ? KS_ERR_IO : KS_OK;
}

enum ks_err report_run(const char *dir, const char *name, const char *scenario_text,
                       const struct scn_script *script, const struct runner_options *options,
                       const char *replay_command, char *path_out, size_t path_bytes)
{
    char path[REPORT_PATH_BYTES_MAX];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return KS_ERR_IO;
    snprintf(path, sizeof(path), "%s/report.html", dir);
    struct runner_options quiet = *options;
    quiet.inspect = NULL;
    quiet.dump_disks_dir = NULL;
    struct runner_result *result = ks_alloc(sizeof(*result));
    struct tracelog *log = NULL;
    enum ks_err err = tracelog_capture(script, &quiet, result, &log);
    if (err == KS_OK) {
        struct report_input in = {name,   scenario_text, script,        options,
                                  result, log,           replay_command};
        err = report_write(path, &in);
    }
    if (path_out != NULL)
        snprintf(path_out, path_bytes, "%s", path);
    tracelog_free(log);
    free(result);
    return err;
}
