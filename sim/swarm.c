/*
 * swarm.c: `ksim swarm`, see swarm.h.
 *
 * The parent forks J workers, each with a job pipe (parent to worker: 8-byte job
 * numbers) and a result pipe (worker to parent: one struct swarm_result per job, less
 * than PIPE_BUF, so written atomically). The parent hands out jobs in increasing order,
 * one at a time per worker, and polls the result pipes. A worker runs the job, saves a
 * failure's replay file and report itself (it has the scenario's text), and answers. A
 * result pipe that closes while a job is out means the worker died: that job is a crash.
 */
#include "swarm.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "replay.h"
#include "report.h"

#define SWARM_PROGRESS_MS 100u /* terminal redraws */
#define SWARM_PLAIN_PROGRESS_MS 10000u
#define SWARM_INVARIANTS_MAX 64u
#define SWARM_BAR_WIDTH 30u
#define SWARM_BROKE_MAX 4u /* distinct invariants a result names */

enum swarm_outcome { SWARM_PASS, SWARM_VIOLATION, SWARM_CRASH, SWARM_SETUP_ERROR };

struct swarm_result {
    uint64_t job;
    uint64_t seed;
    uint32_t scenario;
    int32_t outcome;
    uint64_t trace_hash;
    uint64_t events;
    uint64_t sim_ns;
    uint64_t wall_ms;
    uint32_t violation_count;
    struct inv_violation first;
    char broke[SWARM_BROKE_MAX][INV_NAME_BYTES_MAX]; /* distinct invariants violated */
    char replay_path[SWARM_PATH_BYTES_MAX / 2];
    uint16_t sm_counts[SMCOV_SLOTS_MAX]; /* the run's transitions, saturating (smcov.h) */
    uint64_t knobs;                      /* a generated world's knobs (gen.h) */
    uint32_t round;                      /* --favour-rare: the round its odds came from */
};

/* What the parent sends a worker: a job and the generator's odds for it. */
struct swarm_job_msg {
    uint64_t job;
    uint32_t round;
    uint16_t knob_permille[GEN_KNOB_COUNT]; /* all 0: the generator's defaults */
};
_Static_assert(sizeof(struct swarm_job_msg) < 512, "one job message fits in PIPE_BUF");
_Static_assert(sizeof(struct swarm_result) < 4096, "one result fits in PIPE_BUF");

struct swarm_options {
    const char *scenarios[SWARM_SCENARIOS_MAX];
    uint32_t scenario_count;
    uint64_t seeds;
    uint64_t time_s;
    uint32_t jobs;
    struct swarm_shard shard;
    const char *out_dir;
    uint64_t seed_start;
    bool first;
    bool reports;
    bool print_world; /* --print-world: print seed_start's random world and stop */
    bool print_invariants; /* --print-invariants: what generated worlds may expect */
    uint64_t run_ns;  /* generated worlds' run length, 0: drawn */
    bool coverage_table; /* --coverage: print the state-machine coverage table */
    bool favour_rare;    /* --favour-rare: steer the generator's knobs (swarm.h) */
    struct runner_options run;
};

/* A scenario of the swarm: its name (for files) and parsed script. */
struct swarm_scenario {
    const char *path;
    char base[128];
    char *text;
    struct scn_script *script;
};

struct swarm_worker {
    pid_t pid;
    int job_fd;
    int result_fd;
    bool busy;
    uint64_t job;
};

struct swarm {
    struct swarm_options o;
    struct swarm_scenario scenarios[SWARM_SCENARIOS_MAX];
    uint32_t scenario_count; /* 0: generated worlds */
    struct swarm_worker workers[SWARM_JOBS_MAX];
    FILE *out;
    bool tty;
    uint64_t start_ms;
    uint64_t last_progress_ms;
    uint64_t next_job; /* index within the shard */
    uint64_t done;
    bool stop_dispatch;
    uint64_t cutoff; /* --first: the lowest failing job so far, else UINT64_MAX */
    struct swarm_result *failures;
    uint32_t failure_count;
    uint64_t run_by_scenario[SWARM_SCENARIOS_MAX + 1];
    struct smcov sm_coverage; /* merged over the finished jobs */
    struct swarm_favour *favour; /* --favour-rare on generated worlds, else NULL */
};

/* ---- --favour-rare: steering the generator's knobs ----------------------------------------- */

struct swarm_favour {
    uint32_t round;                             /* rounds closed so far */
    uint32_t reach_runs[SMCOV_SLOTS_MAX];       /* runs (of closed rounds) reaching each transition */
    uint64_t score_on[GEN_KNOB_COUNT];          /* rarity scores of runs with the knob on */
    uint64_t score_off[GEN_KNOB_COUNT];         /* ... and off */
    uint32_t runs_on[GEN_KNOB_COUNT];
    uint32_t runs_off[GEN_KNOB_COUNT];
    uint16_t permille[GEN_KNOB_COUNT];          /* the odds of the open round */
    /* The open round's results, scored when it closes (so their order does not matter). */
    uint32_t count;
    uint64_t knobs[SWARM_FAVOUR_ROUND_JOBS];
    uint8_t reached[SWARM_FAVOUR_ROUND_JOBS][SMCOV_SLOTS_MAX / 8];
};

struct swarm_favour *swarm_favour_create(void)
{
    struct swarm_favour *f = ks_alloc(sizeof(*f));
    for (uint32_t k = 0; k < GEN_KNOB_COUNT; k++)
        f->permille[k] = gen_knob_default_permille((enum gen_knob)k);
    KS_ASSERT(f->round == 0 && f->count == 0);
    return f;
}

void swarm_favour_free(struct swarm_favour *f)
{
    free(f);
}

uint32_t swarm_favour_round(const struct swarm_favour *f)
{
    return f->round;
}

uint32_t swarm_favour_round_count(const struct swarm_favour *f)
{
    KS_ASSERT(f->count <= SWARM_FAVOUR_ROUND_JOBS);
    return f->count;
}

void swarm_favour_odds(const struct swarm_favour *f, uint16_t *permille_out)
{
    memcpy(permille_out, f->permille, sizeof(f->permille));
}

void swarm_favour_add(struct swarm_favour *f, uint64_t knobs, const uint16_t *sm_counts,
                      uint32_t slots)
{
    KS_ASSERT(f->count < SWARM_FAVOUR_ROUND_JOBS);
    KS_ASSERT(slots <= SMCOV_SLOTS_MAX);
    uint32_t i = f->count++;
    f->knobs[i] = knobs;
    memset(f->reached[i], 0, sizeof(f->reached[i]));
    for (uint32_t slot = 0; slot < slots; slot++) {
        if (sm_counts[slot] > 0)
            f->reached[i][slot / 8] |= (uint8_t)(1u << (slot % 8));
    }
}

/* How rare a run was: each transition it reached weighs SWARM_FAVOUR_WEIGHT divided by
 * one more than the runs that reached it before (a first reach weighs the most). */
static uint64_t swarm_favour_score(const struct swarm_favour *f, uint32_t i, uint32_t slots)
{
    uint64_t score = 0;
    for (uint32_t slot = 0; slot < slots; slot++) {
        if ((f->reached[i][slot / 8] >> (slot % 8)) & 1u)
            score += SWARM_FAVOUR_WEIGHT / (1u + (uint64_t)f->reach_runs[slot]);
    }
    return score;
}

/* A knob's next odds: its default, moved up to SWARM_FAVOUR_SWING per mille towards on
 * when runs with it on scored higher on average than runs without, down when lower. */
static uint16_t swarm_favour_permille(const struct swarm_favour *f, uint32_t k)
{
    int64_t base = gen_knob_default_permille((enum gen_knob)k);
    if (f->runs_on[k] == 0 || f->runs_off[k] == 0)
        return (uint16_t)base;
    int64_t on = (int64_t)(f->score_on[k] / f->runs_on[k]);
    int64_t off = (int64_t)(f->score_off[k] / f->runs_off[k]);
    int64_t odds = on + off == 0 ? base : base + SWARM_FAVOUR_SWING * (on - off) / (on + off);
    odds = odds < SWARM_FAVOUR_PERMILLE_MIN ? SWARM_FAVOUR_PERMILLE_MIN : odds;
    odds = odds > SWARM_FAVOUR_PERMILLE_MAX ? SWARM_FAVOUR_PERMILLE_MAX : odds;
    return (uint16_t)odds;
}

void swarm_favour_round_end(struct swarm_favour *f, uint32_t slots)
{
    KS_ASSERT(slots <= SMCOV_SLOTS_MAX);
    for (uint32_t i = 0; i < f->count; i++) {
        uint64_t score = swarm_favour_score(f, i, slots);
        for (uint32_t k = 0; k < GEN_KNOB_COUNT; k++) {
            bool on = (f->knobs[i] >> k) & 1u;
            *(on ? &f->score_on[k] : &f->score_off[k]) += score;
            *(on ? &f->runs_on[k] : &f->runs_off[k]) += 1;
        }
    }
    for (uint32_t i = 0; i < f->count; i++) {
        for (uint32_t slot = 0; slot < slots; slot++)
            f->reach_runs[slot] += (f->reached[i][slot / 8] >> (slot % 8)) & 1u;
    }
    for (uint32_t k = 0; k < GEN_KNOB_COUNT; k++)
        f->permille[k] = swarm_favour_permille(f, k);
    f->count = 0;
    f->round++;
}

void swarm_favour_print(const struct swarm_favour *f, FILE *out)
{
    fprintf(out, "favour-rare: knob odds (per mille) after %" PRIu32 " round(s) of %u runs\n",
            f->round, SWARM_FAVOUR_ROUND_JOBS);
    fprintf(out, "  %-20s %6s %7s %8s %12s %12s\n", "knob", "odds", "default", "runs on",
            "score on", "score off");
    for (uint32_t k = 0; k < GEN_KNOB_COUNT; k++) {
        uint64_t on = f->runs_on[k] == 0 ? 0 : f->score_on[k] / f->runs_on[k];
        uint64_t off = f->runs_off[k] == 0 ? 0 : f->score_off[k] / f->runs_off[k];
        fprintf(out, "  %-20s %6u %7u %8" PRIu32 " %12" PRIu64 " %12" PRIu64 "\n",
                gen_knob_name((enum gen_knob)k), f->permille[k],
                gen_knob_default_permille((enum gen_knob)k), f->runs_on[k], on, off);
    }
}

void swarm_favour_json(const struct swarm_favour *f, FILE *out)
{
    fprintf(out, "\"favour_rare\":{\"rounds\":%" PRIu32 ",\"odds\":{", f->round);
    for (uint32_t k = 0; k < GEN_KNOB_COUNT; k++)
        fprintf(out, "%s\"%s\":%u", k == 0 ? "" : ",", gen_knob_name((enum gen_knob)k),
                f->permille[k]);
    fputs("}}", out);
}

/* ---- Pure parts ------------------------------------------------------------------------ */

bool swarm_shard_parse(const char *text, struct swarm_shard *out)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    unsigned long long index = strtoull(text, &end, 10);
    if (errno != 0 || *end != '/' || end[1] < '0' || end[1] > '9')
        return false;
    unsigned long long count = strtoull(end + 1, &end, 10);
    if (errno != 0 || *end != '\0' || count == 0 || index >= count)
        return false;
    out->index = index;
    out->count = count;
    return true;
}

uint64_t swarm_shard_job(const struct swarm_shard *shard, uint64_t j)
{
    KS_ASSERT(shard->count > 0);
    KS_ASSERT(shard->index < shard->count);
    return shard->index + j * shard->count;
}

void swarm_job_split(uint64_t job, uint32_t scenario_count, uint64_t seed_start,
                     uint32_t *scenario_out, uint64_t *seed_out)
{
    uint32_t k = scenario_count == 0 ? 1 : scenario_count;
    *scenario_out = (uint32_t)(job % k);
    *seed_out = seed_start + job / k;
    KS_ASSERT(*scenario_out < k);
}

static uint64_t swarm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Copy a string, cut to fit. */
static void swarm_copy(char *dst, size_t dst_bytes, const char *src)
{
    KS_ASSERT(dst_bytes > 0);
    size_t n = strlen(src);
    n = n < dst_bytes - 1 ? n : dst_bytes - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- One job (in a worker) --------------------------------------------------------------- */

static const char *swarm_base(const struct swarm *s, uint32_t scenario)
{
    return s->scenario_count == 0 ? "gen" : s->scenarios[scenario].base;
}

static void swarm_paths(const struct swarm *s, uint32_t scenario, uint64_t seed, char *replay,
                        char *report_dir, size_t bytes)
{
    snprintf(replay, bytes, "%s/%s-seed%" PRIu64 ".replay", s->o.out_dir, swarm_base(s, scenario),
             seed);
    snprintf(report_dir, bytes, "%s/%s-seed%" PRIu64, s->o.out_dir, swarm_base(s, scenario), seed);
}

/* Save a failure: its replay file, and its report unless turned off. */
static void swarm_save(const struct swarm *s, const char *name, const char *text,
                       const struct scn_script *script, const struct runner_options *o,
                       const struct runner_result *r, struct swarm_result *sr)
{
    char replay[SWARM_PATH_BYTES_MAX], report_dir[SWARM_PATH_BYTES_MAX];
    char command[SWARM_PATH_BYTES_MAX + 32];
    swarm_paths(s, sr->scenario, sr->seed, replay, report_dir, sizeof(replay));
    struct replay_file f;
    replay_file_from_result(&f, name, text, o, r);
    if (sr->outcome == SWARM_CRASH) {
        f.outcome = REPLAY_OUTCOME_CRASH;
        f.hash_known = false;
    }
    if (replay_save(&f, replay) == KS_OK)
        swarm_copy(sr->replay_path, sizeof(sr->replay_path), replay);
    replay_file_free(&f);
    if (!s->o.reports || script == NULL || sr->outcome == SWARM_CRASH)
        return;
    snprintf(command, sizeof(command), "ksim replay %s", replay);
    enum ks_err err = report_run(report_dir, name, text, script, o, command, NULL, 0);
    (void)err; /* a report that cannot be written leaves the replay file */
}

/* The scenario text and script of a job (generated: drawn now; owned by the caller). */
static struct scn_script *swarm_job_script(const struct swarm *s, uint32_t scenario, uint64_t seed,
                                           const uint16_t *knob_permille, char **text_out,
                                           uint64_t *knobs_out)
{
    *knobs_out = 0;
    if (s->scenario_count > 0) {
        *text_out = NULL;
        return s->scenarios[scenario].script;
    }
    struct gen_options go = {.run_ns = s->o.run_ns};
    memcpy(go.knob_permille, knob_permille, sizeof(go.knob_permille));
    *text_out = gen_scenario_knobs(seed, &go, knobs_out);
    struct scn_script *script = NULL;
    struct scn_error error;
    if (scn_parse(runner_lang(), "generated", *text_out, &script, &error) != KS_OK) {
        scn_error_print(&error, stderr); /* a generator bug: the job fails as setup */
        return NULL;
    }
    return script;
}

/* The distinct invariants of a run's violations, in order of first violation (the
 * first SWARM_BROKE_MAX), so ci/mutation can tell a switch's invariant from others. */
static void swarm_broke_collect(const struct runner_result *r, struct swarm_result *sr)
{
    uint32_t count = 0;
    KS_ASSERT(r->violation_count <= INV_VIOLATIONS_MAX);
    for (uint32_t i = 0; i < r->violation_count && count < SWARM_BROKE_MAX; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < count && !seen; j++)
            seen = strcmp(sr->broke[j], r->violations[i].invariant) == 0;
        if (!seen)
            snprintf(sr->broke[count++], INV_NAME_BYTES_MAX, "%s", r->violations[i].invariant);
    }
    KS_ASSERT(count <= SWARM_BROKE_MAX);
}

static void swarm_job_run(const struct swarm *s, const struct swarm_job_msg *msg,
                          struct swarm_result *sr)
{
    memset(sr, 0, sizeof(*sr));
    sr->job = msg->job;
    sr->round = msg->round;
    swarm_job_split(msg->job, s->scenario_count, s->o.seed_start, &sr->scenario, &sr->seed);
    char *generated = NULL;
    struct scn_script *script =
        swarm_job_script(s, sr->scenario, sr->seed, msg->knob_permille, &generated, &sr->knobs);
    const char *name = s->scenario_count == 0 ? "generated" : s->scenarios[sr->scenario].path;
    const char *text = s->scenario_count == 0 ? generated : s->scenarios[sr->scenario].text;
    struct runner_options o = s->o.run;
    o.scenario_path = name;
    o.seed_set = true;
    o.seed = sr->seed;
    struct runner_result *r = ks_alloc(sizeof(*r));
    sr->outcome = SWARM_SETUP_ERROR;
    if (script != NULL && runner_run_once(script, &o, NULL, NULL, r) == KS_OK) {
        bool failed = r->violation_count > 0 || r->budget_exhausted;
        sr->outcome = failed ? SWARM_VIOLATION : SWARM_PASS;
        sr->trace_hash = r->trace_hash;
        sr->events = r->events;
        sr->sim_ns = r->sim_ns;
        sr->wall_ms = r->wall_ms;
        sr->violation_count = r->violation_count;
        for (uint32_t i = 0; i < smcov_slot_count(); i++)
            sr->sm_counts[i] = r->sm_coverage.counts[i] > UINT16_MAX
                                   ? UINT16_MAX
                                   : (uint16_t)r->sm_coverage.counts[i];
        if (r->violation_count > 0)
            sr->first = r->violations[0];
        swarm_broke_collect(r, sr);
        if (failed)
            swarm_save(s, name, text, script, &o, r, sr);
    }
    free(r);
    if (generated != NULL) {
        scn_script_free(script);
        free(generated);
    }
}

static bool swarm_io(int fd, void *buf, size_t bytes, bool write_it)
{
    size_t done = 0;
    while (done < bytes) {
        ssize_t n = write_it ? write(fd, (char *)buf + done, bytes - done)
                             : read(fd, (char *)buf + done, bytes - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

static KS_NORETURN void swarm_worker_loop(const struct swarm *s, int job_fd, int result_fd)
{
    struct swarm_result *sr = ks_alloc(sizeof(*sr));
    struct swarm_job_msg msg;
    while (swarm_io(job_fd, &msg, sizeof(msg), false)) {
        swarm_job_run(s, &msg, sr);
        if (!swarm_io(result_fd, sr, sizeof(*sr), true))
            break;
    }
    free(sr);
    _exit(0);
}

/* ---- Workers (in the parent) --------------------------------------------------------------- */

static void swarm_fds_close_others(const struct swarm *s, int keep_a, int keep_b)
{
    for (uint32_t i = 0; i < s->o.jobs; i++) {
        const struct swarm_worker *w = &s->workers[i];
        if (w->pid > 0 && w->job_fd != keep_a && w->job_fd != keep_b)
            close(w->job_fd);
        if (w->pid > 0 && w->result_fd != keep_a && w->result_fd != keep_b)
            close(w->result_fd);
    }
}

static bool swarm_worker_spawn(struct swarm *s, uint32_t i)
{
    int jobs[2], results[2];
    if (pipe(jobs) != 0)
        return false;
    if (pipe(results) != 0) {
        close(jobs[0]);
        close(jobs[1]);
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        close(jobs[1]);
        close(results[0]);
        swarm_fds_close_others(s, -1, -1);
        swarm_worker_loop(s, jobs[0], results[1]);
    }
    close(jobs[0]);
    close(results[1]);
    s->workers[i] = (struct swarm_worker){.pid = pid, .job_fd = jobs[1], .result_fd = results[0]};
    return true;
}

static void swarm_worker_end(struct swarm *s, uint32_t i)
{
    struct swarm_worker *w = &s->workers[i];
    KS_ASSERT(w->pid > 0);
    close(w->job_fd);
    close(w->result_fd);
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        continue;
    w->pid = 0;
    w->busy = false;
}

static uint64_t swarm_total(const struct swarm *s)
{
    return s->o.seeds;
}

static bool swarm_more(const struct swarm *s)
{
    if (s->stop_dispatch || s->next_job >= swarm_total(s))
        return false;
    /* --favour-rare: a round's jobs go out once the rounds before it are in. */
    if (s->favour != NULL && s->next_job / SWARM_FAVOUR_ROUND_JOBS > swarm_favour_round(s->favour))
        return false;
    return s->o.time_s == 0 || swarm_now_ms() - s->start_ms < s->o.time_s * 1000u;
}

static void swarm_dispatch(struct swarm *s, uint32_t i)
{
    struct swarm_worker *w = &s->workers[i];
    KS_ASSERT(!w->busy);
    struct swarm_job_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.job = swarm_shard_job(&s->o.shard, s->next_job);
    if (s->favour != NULL) {
        msg.round = swarm_favour_round(s->favour);
        swarm_favour_odds(s->favour, msg.knob_permille);
    }
    if (!swarm_io(w->job_fd, &msg, sizeof(msg), true))
        return; /* a dead worker: its result pipe says so */
    s->next_job++;
    w->busy = true;
    w->job = msg.job;
}

/* ---- Results, progress and the summary ---------------------------------------------------- */

static void swarm_time(uint64_t ms, char *buf, size_t bytes)
{
    snprintf(buf, bytes, "%" PRIu64 ":%02" PRIu64, ms / 60000u, ms / 1000u % 60u);
}

static void swarm_progress(struct swarm *s, bool final)
{
    uint64_t now = swarm_now_ms();
    uint64_t every = s->tty ? SWARM_PROGRESS_MS : SWARM_PLAIN_PROGRESS_MS;
    if (!final && now - s->last_progress_ms < every)
        return;
    s->last_progress_ms = now;
    uint64_t elapsed = now - s->start_ms + 1;
    double rate = (double)s->done * 1000.0 / (double)elapsed;
    uint64_t total = swarm_total(s);
    uint64_t left_ms = rate > 0 ? (uint64_t)((double)(total - s->done) * 1000.0 / rate) : 0;
    if (s->o.time_s > 0 &&
        s->o.time_s * 1000u - (elapsed < s->o.time_s * 1000u ? elapsed : 0) < left_ms)
        left_ms = elapsed < s->o.time_s * 1000u ? s->o.time_s * 1000u - elapsed : 0;
    char eta[32];
    swarm_time(left_ms, eta, sizeof(eta));
    if (!s->tty) {
        fprintf(s->out, "swarm: %" PRIu64 " seeds, %.1f seeds/s, %" PRIu32 " failures\n", s->done,
                rate, s->failure_count);
        return;
    }
    uint32_t filled = total > 0 ? (uint32_t)(s->done * SWARM_BAR_WIDTH / total) : 0;
    char bar[SWARM_BAR_WIDTH + 1];
    for (uint32_t i = 0; i < SWARM_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[SWARM_BAR_WIDTH] = '\0';
    fprintf(s->out, "\r[%s] %" PRIu64 "/%" PRIu64 "  %.1f seeds/s  ETA %s  failures %" PRIu32 "%s",
            bar, s->done, total, rate, eta, s->failure_count, final ? "\n" : "  ");
    fflush(s->out);
}

static void swarm_failure_line(struct swarm *s, const struct swarm_result *r)
{
    char t[32];
    snprintf(t, sizeof(t), "%" PRIu64 ".%03" PRIu64 "s", r->first.time_ns / 1000000000u,
             r->first.time_ns / 1000000u % 1000u);
    fprintf(s->out, "%sFAIL seed %" PRIu64 " %s: ", s->tty ? "\r" : "", r->seed,
            s->scenario_count == 0 ? "generated" : s->scenarios[r->scenario].path);
    if (r->outcome == SWARM_CRASH)
        fprintf(s->out, "the run crashed (an assertion)");
    else if (r->outcome == SWARM_SETUP_ERROR)
        fprintf(s->out, "the run could not be set up");
    else if (r->violation_count == 0)
        fprintf(s->out, "the event budget ran out");
    else
        fprintf(s->out, "%s at %s %s: %s", r->first.invariant, t, r->first.node, r->first.message);
    fprintf(s->out, "\n  replay: ksim replay %s\n",
            r->replay_path[0] ? r->replay_path : "(unsaved)");
    fflush(s->out);
}

/* Merge a job's transitions into the swarm's table. */
static void swarm_coverage_add(struct swarm *s, const struct swarm_result *r)
{
    struct smcov *one = ks_alloc(sizeof(*one));
    smcov_reset(one);
    for (uint32_t i = 0; i < smcov_slot_count(); i++)
        one->counts[i] = r->sm_counts[i];
    smcov_merge(&s->sm_coverage, one);
    free(one);
}

static void swarm_record(struct swarm *s, const struct swarm_result *r)
{
    swarm_coverage_add(s, r);
    s->done++;
    if (s->favour != NULL) {
        swarm_favour_add(s->favour, r->knobs, r->sm_counts, smcov_slot_count());
        /* A last, partial round is never closed: no later round would use its odds. */
        if (swarm_favour_round_count(s->favour) == SWARM_FAVOUR_ROUND_JOBS)
            swarm_favour_round_end(s->favour, smcov_slot_count());
    }
    s->run_by_scenario[r->scenario]++;
    if (r->outcome == SWARM_PASS)
        return;
    if (s->o.first) {
        s->stop_dispatch = true;
        if (r->job > s->cutoff)
            return;
        s->cutoff = r->job;
    }
    swarm_failure_line(s, r);
    if (s->failure_count < SWARM_FAILURES_MAX)
        s->failures[s->failure_count++] = *r;
}

/* With --first, only jobs up to the first failure count: recount them. */
static void swarm_first_recount(struct swarm *s)
{
    if (!s->o.first || s->cutoff == UINT64_MAX)
        return;
    memset(s->run_by_scenario, 0, sizeof(s->run_by_scenario));
    uint64_t last = (s->cutoff - s->o.shard.index) / s->o.shard.count;
    s->done = last + 1;
    for (uint64_t j = 0; j <= last; j++) {
        uint32_t scenario = 0;
        uint64_t seed = 0;
        swarm_job_split(swarm_shard_job(&s->o.shard, j), s->scenario_count, s->o.seed_start,
                        &scenario, &seed);
        s->run_by_scenario[scenario]++;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < s->failure_count; i++) {
        if (s->failures[i].job <= s->cutoff)
            s->failures[kept++] = s->failures[i];
    }
    s->failure_count = kept;
}

static int swarm_failure_order(const void *a, const void *b)
{
    const struct swarm_result *x = a, *y = b;
    return x->job < y->job ? -1 : x->job > y->job ? 1 : 0;
}

static const char *swarm_failure_kind(const struct swarm_result *r)
{
    if (r->outcome == SWARM_CRASH)
        return "(crash)";
    if (r->outcome == SWARM_SETUP_ERROR)
        return "(setup error)";
    return r->violation_count > 0 ? r->first.invariant : "(event budget)";
}

static void swarm_summary_invariants(const struct swarm *s)
{
    const char *names[SWARM_INVARIANTS_MAX];
    uint32_t counts[SWARM_INVARIANTS_MAX], first[SWARM_INVARIANTS_MAX], count = 0;
    for (uint32_t i = 0; i < s->failure_count; i++) {
        const char *name = swarm_failure_kind(&s->failures[i]);
        uint32_t k = 0;
        while (k < count && strcmp(names[k], name) != 0)
            k++;
        if (k == count && count == SWARM_INVARIANTS_MAX)
            continue;
        if (k == count) {
            names[count] = name;
            counts[count] = 0;
            first[count++] = i;
        }
        counts[k]++;
    }
    if (count == 0)
        return;
    fprintf(s->out, "\n%-28s %9s %12s  %s\n", "invariant", "failures", "first seed", "replay");
    for (uint32_t k = 0; k < count; k++) {
        const struct swarm_result *r = &s->failures[first[k]];
        fprintf(s->out, "%-28s %9" PRIu32 " %12" PRIu64 "  ksim replay %s\n", names[k], counts[k],
                r->seed, r->replay_path);
    }
}

static void swarm_summary(struct swarm *s, uint64_t wall_ms)
{
    double rate = (double)s->done * 1000.0 / (double)(wall_ms + 1);
    fprintf(s->out,
            "\nksim swarm: %" PRIu64 " seeds in %.1fs (%.1f seeds/s on %" PRIu32
            " workers), %" PRIu32 " failure(s), shard %" PRIu64 "/%" PRIu64 "\n",
            s->done, (double)wall_ms / 1000.0, rate, s->o.jobs, s->failure_count, s->o.shard.index,
            s->o.shard.count);
    fprintf(s->out, "%-40s %8s %9s %12s\n", "scenario", "seeds", "failures", "first failing");
    uint32_t rows = s->scenario_count == 0 ? 1 : s->scenario_count;
    for (uint32_t i = 0; i < rows; i++) {
        uint32_t failed = 0;
        const struct swarm_result *firstf = NULL;
        for (uint32_t f = 0; f < s->failure_count; f++) {
            if (s->failures[f].scenario != i)
                continue;
            firstf = firstf == NULL ? &s->failures[f] : firstf;
            failed++;
        }
        char seed[32] = "-";
        if (firstf != NULL)
            snprintf(seed, sizeof(seed), "%" PRIu64, firstf->seed);
        fprintf(s->out, "%-40s %8" PRIu64 " %9" PRIu32 " %12s\n",
                s->scenario_count == 0 ? "generated" : s->scenarios[i].path, s->run_by_scenario[i],
                failed, seed);
    }
    swarm_summary_invariants(s);
    fputc('\n', s->out);
    if (s->favour != NULL)
        swarm_favour_print(s->favour, s->out);
    if (s->o.coverage_table)
        smcov_table(s->out, &s->sm_coverage);
    else
        fprintf(s->out,
                "state-machine coverage: %u of %u transitions reached (--coverage prints the "
                "table)\n",
                smcov_reached(&s->sm_coverage), smcov_slot_count());
}

static void swarm_json(const struct swarm *s, uint64_t wall_ms)
{
    fprintf(s->out, "{\"swarm\":true,\"seeds\":%" PRIu64 ",\"failures\":%" PRIu32, s->done,
            s->failure_count);
    if (s->failure_count > 0) {
        const struct swarm_result *r = &s->failures[0];
        fprintf(s->out,
                ",\"first\":{\"job\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"seeds_needed\":%" PRIu64
                ",\"invariant\":\"%s\",\"replay\":\"%s\",\"invariants\":[",
                r->job, r->seed, (r->job - s->o.shard.index) / s->o.shard.count + 1,
                swarm_failure_kind(r), r->replay_path);
        for (uint32_t i = 0; i < SWARM_BROKE_MAX && r->broke[i][0] != '\0'; i++)
            fprintf(s->out, "%s\"%s\"", i == 0 ? "" : ",", r->broke[i]);
        fputs("]}", s->out);
    } else {
        fputs(",\"first\":null", s->out);
    }
    fprintf(s->out, ",\"jobs\":%" PRIu32 ",\"wall_ms\":%" PRIu64 ",\"seeds_per_s\":%.2f,",
            s->o.jobs, wall_ms, (double)s->done * 1000.0 / (double)(wall_ms + 1));
    smcov_json(s->out, &s->sm_coverage);
    if (s->favour != NULL) {
        fputc(',', s->out);
        swarm_favour_json(s->favour, s->out);
    }
    fputs("}\n", s->out);
}

/* ---- The parent's loop --------------------------------------------------------------------- */

static void swarm_on_dead(struct swarm *s, uint32_t i)
{
    struct swarm_worker *w = &s->workers[i];
    if (w->busy) {
        struct swarm_result *r = ks_alloc(sizeof(*r));
        r->job = w->job;
        r->outcome = SWARM_CRASH;
        swarm_job_split(w->job, s->scenario_count, s->o.seed_start, &r->scenario, &r->seed);
        char *text = NULL;
        uint16_t odds[GEN_KNOB_COUNT] = {0};
        if (s->favour != NULL)
            swarm_favour_odds(s->favour, odds);
        struct scn_script *script =
            swarm_job_script(s, r->scenario, r->seed, odds, &text, &r->knobs);
        struct runner_options o = s->o.run;
        o.seed_set = true;
        o.seed = r->seed;
        struct runner_result *rr = ks_alloc(sizeof(*rr));
        rr->seed = r->seed;
        const char *name = s->scenario_count == 0 ? "generated" : s->scenarios[r->scenario].path;
        swarm_save(s, name, text != NULL ? text : s->scenarios[r->scenario].text, NULL, &o, rr, r);
        swarm_record(s, r);
        if (text != NULL) {
            scn_script_free(script);
            free(text);
        }
        free(rr);
        free(r);
    }
    swarm_worker_end(s, i);
    if (swarm_more(s) && !swarm_worker_spawn(s, i))
        s->stop_dispatch = true;
}

/* Wait for one round of results; false when nothing is out and nothing is left. */
static bool swarm_poll(struct swarm *s, struct swarm_result *r)
{
    struct pollfd fds[SWARM_JOBS_MAX];
    uint32_t busy = 0;
    for (uint32_t i = 0; i < s->o.jobs; i++) {
        fds[i] = (struct pollfd){.fd = s->workers[i].pid > 0 ? s->workers[i].result_fd : -1,
                                 .events = POLLIN};
        if (s->workers[i].pid > 0 && !s->workers[i].busy && swarm_more(s))
            swarm_dispatch(s, i);
        busy += s->workers[i].pid > 0 && s->workers[i].busy ? 1u : 0u;
    }
    if (busy == 0)
        return false;
    int n = poll(fds, s->o.jobs, (int)SWARM_PROGRESS_MS);
    for (uint32_t i = 0; n > 0 && i < s->o.jobs; i++) {
        if (fds[i].fd < 0 || fds[i].revents == 0)
            continue;
        if (!swarm_io(fds[i].fd, r, sizeof(*r), false)) {
            swarm_on_dead(s, i);
            continue;
        }
        KS_ASSERT(s->workers[i].busy && r->job == s->workers[i].job);
        s->workers[i].busy = false;
        swarm_record(s, r);
    }
    swarm_progress(s, false);
    return true;
}

static int swarm_run(struct swarm *s)
{
    s->start_ms = swarm_now_ms();
    s->cutoff = UINT64_MAX;
    s->failures = ks_alloc(SWARM_FAILURES_MAX * sizeof(*s->failures));
    memset(&s->sm_coverage, 0, sizeof(s->sm_coverage)); /* runs: 0 until a job ends */
    signal(SIGPIPE, SIG_IGN);
    for (uint32_t i = 0; i < s->o.jobs; i++) {
        if (!swarm_worker_spawn(s, i)) {
            fprintf(stderr, "ksim swarm: cannot start a worker: %s\n", strerror(errno));
            s->o.jobs = i;
            break;
        }
    }
    struct swarm_result *r = ks_alloc(sizeof(*r));
    while (s->o.jobs > 0 && swarm_poll(s, r))
        continue;
    free(r);
    for (uint32_t i = 0; i < s->o.jobs; i++) {
        if (s->workers[i].pid > 0)
            swarm_worker_end(s, i);
    }
    uint64_t wall_ms = swarm_now_ms() - s->start_ms;
    swarm_progress(s, true);
    swarm_first_recount(s);
    qsort(s->failures, s->failure_count, sizeof(s->failures[0]), swarm_failure_order);
    swarm_summary(s, wall_ms);
    swarm_json(s, wall_ms);
    int code = s->failure_count > 0 ? RUNNER_EXIT_VIOLATION : RUNNER_EXIT_OK;
    free(s->failures);
    return s->o.jobs == 0 ? RUNNER_EXIT_USAGE : code;
}

/* ---- Command line ---------------------------------------------------------------------------- */

static int swarm_usage(FILE *err, const char *problem)
{
    fprintf(err,
            "ksim swarm: %s\nusage: ksim swarm [SCENARIO...] [--seeds N | --time S] [--jobs J] "
            "[--shard I/N] [--out DIR]\n                  [--bug NAME]... [--seed-start S] "
            "[--first] [--run SECONDS] [--no-reports] [--coverage] [--favour-rare]\n"
            "       ksim swarm --print-world [--seed-start S] [--run SECONDS]\n"
            "       ksim swarm --print-invariants\n",
            problem);
    return RUNNER_EXIT_USAGE;
}

static bool swarm_number(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool swarm_bug(struct swarm_options *o, const char *name)
{
    const struct ks_bug_info *bug = ks_bug_find(name);
    if (bug == NULL)
        return false;
    if ((o->run.bugs >> bug->bug) & 1u)
        return true;
    KS_ASSERT(o->run.bug_count < RUNNER_BUGS_MAX);
    o->run.bugs |= (env_bug_mask)1 << bug->bug;
    o->run.bug_names[o->run.bug_count++] = bug->name;
    return true;
}

/* One option with a value; false on a bad value. */
static bool swarm_option(struct swarm_options *o, const char *arg, const char *value)
{
    uint64_t n = 0;
    if (strcmp(arg, "--seeds") == 0)
        return swarm_number(value, 1, UINT64_MAX / 2, &o->seeds);
    if (strcmp(arg, "--time") == 0)
        return swarm_number(value, 1, 365u * 86400u, &o->time_s);
    if (strcmp(arg, "--jobs") == 0) {
        bool ok = swarm_number(value, 1, SWARM_JOBS_MAX, &n);
        o->jobs = (uint32_t)n;
        return ok;
    }
    if (strcmp(arg, "--shard") == 0)
        return swarm_shard_parse(value, &o->shard);
    if (strcmp(arg, "--out") == 0) {
        o->out_dir = value;
        return true;
    }
    if (strcmp(arg, "--seed-start") == 0)
        return swarm_number(value, 0, UINT64_MAX / 2, &o->seed_start);
    if (strcmp(arg, "--run") == 0) {
        bool ok = swarm_number(value, GEN_RUN_NS_MIN / 1000000000u, 86400, &n);
        o->run_ns = n * 1000000000u;
        return ok;
    }
    if (strcmp(arg, "--bug") == 0)
        return swarm_bug(o, value);
    return false;
}

static int swarm_args(int argc, char **argv, struct swarm_options *o, FILE *err)
{
    memset(o, 0, sizeof(*o));
    o->shard.count = 1;
    o->out_dir = "swarm-out";
    o->seed_start = 1;
    o->reports = true;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cores < 1 ? 1 : cores > (long)SWARM_JOBS_MAX ? SWARM_JOBS_MAX : (uint32_t)cores;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--first") == 0) {
            o->first = true;
        } else if (strcmp(arg, "--no-reports") == 0) {
            o->reports = false;
        } else if (strcmp(arg, "--print-world") == 0) {
            o->print_world = true;
        } else if (strcmp(arg, "--print-invariants") == 0) {
            o->print_invariants = true;
        } else if (strcmp(arg, "--coverage") == 0) {
            o->coverage_table = true;
        } else if (strcmp(arg, "--favour-rare") == 0) {
            o->favour_rare = true;
        } else if (strncmp(arg, "--", 2) == 0) {
            if (i + 1 >= argc || !swarm_option(o, arg, argv[i + 1])) {
                fprintf(err, "ksim swarm: bad or missing value for %s\n", arg);
                return swarm_usage(err, "see usage");
            }
            i++;
        } else if (o->scenario_count == SWARM_SCENARIOS_MAX) {
            return swarm_usage(err, "too many scenarios");
        } else {
            o->scenarios[o->scenario_count++] = arg;
        }
    }
    if (o->seeds == 0)
        o->seeds = o->time_s > 0 ? UINT64_MAX / 2 : SWARM_SEEDS_DEFAULT;
    return RUNNER_EXIT_OK;
}

static int swarm_load(struct swarm *s, FILE *err)
{
    for (uint32_t i = 0; i < s->o.scenario_count; i++) {
        struct swarm_scenario *sc = &s->scenarios[i];
        size_t len = 0;
        sc->path = s->o.scenarios[i];
        if (replay_read_all(sc->path, SCN_FILE_BYTES_MAX, &sc->text, &len) != KS_OK) {
            fprintf(err, "ksim swarm: cannot read %s\n", sc->path);
            return RUNNER_EXIT_USAGE;
        }
        struct scn_error error;
        if (scn_parse(runner_lang(), sc->path, sc->text, &sc->script, &error) != KS_OK) {
            scn_error_print(&error, err);
            return RUNNER_EXIT_USAGE;
        }
        const char *slash = strrchr(sc->path, '/');
        snprintf(sc->base, sizeof(sc->base), "%s", slash != NULL ? slash + 1 : sc->path);
        char *dot = strrchr(sc->base, '.');
        if (dot != NULL && strcmp(dot, ".scn") == 0)
            *dot = '\0';
        s->scenario_count++;
    }
    if (mkdir(s->o.out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(err, "ksim swarm: cannot create %s: %s\n", s->o.out_dir, strerror(errno));
        return RUNNER_EXIT_USAGE;
    }
    return RUNNER_EXIT_OK;
}

int swarm_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct swarm *s = ks_alloc(sizeof(*s));
    s->out = out;
    s->tty = isatty(fileno(out)) != 0;
    int code = swarm_args(argc, argv, &s->o, err);
    if (code == RUNNER_EXIT_OK && s->o.print_invariants) {
        gen_invariants_print(out);
        free(s);
        return RUNNER_EXIT_OK;
    }
    if (code == RUNNER_EXIT_OK && s->o.print_world) {
        struct gen_options go = {.run_ns = s->o.run_ns};
        char *text = gen_scenario(s->o.seed_start, &go);
        fputs(text, out);
        free(text);
        free(s);
        return RUNNER_EXIT_OK;
    }
    if (code == RUNNER_EXIT_OK)
        code = swarm_load(s, err);
    if (code == RUNNER_EXIT_OK && s->o.favour_rare && s->scenario_count > 0)
        code = swarm_usage(err, "--favour-rare steers random worlds: give no scenario file");
    if (code == RUNNER_EXIT_OK && s->o.favour_rare)
        s->favour = swarm_favour_create();
    if (code == RUNNER_EXIT_OK) {
        fprintf(out,
                "ksim swarm: %s, seeds from %" PRIu64 ", shard %" PRIu64 "/%" PRIu64 ", %" PRIu32
                " workers, failures under %s\n",
                s->scenario_count == 0 ? "random worlds" : "scenario files", s->o.seed_start,
                s->o.shard.index, s->o.shard.count, s->o.jobs, s->o.out_dir);
        code = swarm_run(s);
    }
    for (uint32_t i = 0; i < SWARM_SCENARIOS_MAX; i++) {
        scn_script_free(s->scenarios[i].script);
        free(s->scenarios[i].text);
    }
    swarm_favour_free(s->favour);
    free(s);
    return code;
}
