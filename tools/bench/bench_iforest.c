/* Isolation Forest benchmark driver: fit/score a CSV or synthetic rows, report time and memory. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/iforest.h"

/* Command-line settings. */
struct bench_opts {
        const char *csv;    /* --csv FILE: header, float columns, last column a label */
        const char *out;    /* --out FILE: one score per line, in row order */
        uint32_t synthetic; /* --synthetic N: N generated 8-feature rows instead of a CSV */
        unsigned repeat;    /* --repeat R: synthetic runs (the median is reported too) */
        struct sw_iforest_params params; /* forest parameters (n_features from the data) */
};

static void usage(FILE *to)
{
        fprintf(to, "usage: bench_iforest --csv FILE [--out SCORES] [options]\n"
                    "       bench_iforest --synthetic N [--repeat R] [options]\n"
                    "options: --seed S --trees T --samples PSI --depth D --contamination C\n"
                    "Prints 'key value' lines: rows, features, fit_ms, score_ms, memory.\n");
}

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A "VmXXX:   1234 kB" field of /proc/self/status in kB, or -1. */
static long proc_status_kb(const char *field)
{
        char line[256];
        long kb = -1;
        size_t len = strlen(field);
        FILE *fp = fopen("/proc/self/status", "re");
        if (!fp)
                return -1;
        while (fgets(line, sizeof(line), fp))
                if (strncmp(line, field, len) == 0 && line[len] == ':') {
                        kb = strtol(line + len + 1, NULL, 10);
                        break;
                }
        fclose(fp);
        return kb;
}

/* Read the CSV: returns rows, sets *ret_x (malloc'd, row-major) and *ret_nf. -errno on failure. */
static long read_csv(const char *path, float **ret_x, uint32_t *ret_nf)
{
        FILE *fp = fopen(path, "re");
        char *line = NULL;
        size_t cap = 0;
        float *x = NULL;
        size_t rows = 0, alloc = 0;
        uint32_t cols = 0;
        long r = -EINVAL;
        if (!fp)
                return -errno;
        if (getline(&line, &cap, fp) < 0)
                goto out;
        cols = 1;
        for (const char *c = line; *c; c++)
                cols += *c == ',';
        if (cols < 2 || cols - 1 > SW_IFOREST_MAX_FEATURES)
                goto out;
        while (getline(&line, &cap, fp) > 0) {
                if (line[0] == '\n' || line[0] == '\0')
                        continue;
                if (rows == alloc) {
                        alloc = alloc ? alloc * 2 : 1024;
                        float *nx = realloc(x, alloc * (cols - 1) * sizeof(float));
                        if (!nx) {
                                r = -ENOMEM;
                                goto out;
                        }
                        x = nx;
                }
                char *p = line;
                for (uint32_t c = 0; c < cols - 1; c++) {
                        char *end;
                        errno = 0;
                        float v = strtof(p, &end);
                        if (end == p || *end != ',') {
                                fprintf(stderr,
                                        "bench_iforest: %s: row %zu column %u: not a "
                                        "number\n",
                                        path, rows + 2, c + 1);
                                goto out;
                        }
                        x[rows * (cols - 1) + c] = v;
                        p = end + 1;
                }
                rows++;
        }
        *ret_x = x;
        *ret_nf = cols - 1;
        x = NULL;
        r = (long)rows;
out:
        free(x);
        free(line);
        fclose(fp);
        return r;
}

/* Deterministic generator for synthetic rows (xorshift64*). */
static uint64_t gen_state = 88172645463325252ULL;

static double gen_unit(void)
{
        gen_state ^= gen_state >> 12;
        gen_state ^= gen_state << 25;
        gen_state ^= gen_state >> 27;
        return ((double)((gen_state * 2685821657736338717ULL) >> 11) + 0.5) * 0x1.0p-53;
}

static double gen_gauss(void)
{
        return sqrt(-2.0 * log(gen_unit())) * cos(2.0 * M_PI * gen_unit());
}

/* n retail-like SKU-day rows with the 8 features of docs/detectors.md, 1% anomalous. */
static float *synthetic_rows(uint32_t n)
{
        float *x = malloc((size_t)n * 8 * sizeof(float));
        if (!x)
                return NULL;
        for (uint32_t i = 0; i < n; i++) {
                double rate = exp(1.0 + 1.2 * gen_gauss()); /* units/day, log-normal */
                double sales7 = fmax(0.0, 7.0 * rate + sqrt(7.0 * rate) * gen_gauss());
                double trend = 0.15 * gen_gauss();
                double qoh = fmax(0.0, 14.0 * rate * (0.5 + gen_unit()));
                double price = exp(1.5 + 0.8 * gen_gauss());
                double dow = floor(gen_unit() * 7.0);
                double holiday = gen_unit() < 0.03;
                double pva = 1.0 + 0.1 * gen_gauss();
                if (gen_unit() < 0.01) { /* ghost-like: no sales, stock on the book */
                        sales7 = 0.0;
                        trend = -1.0;
                        qoh = 60.0 * rate;
                }
                float *r = x + (size_t)i * 8;
                r[0] = (float)sales7;
                r[1] = (float)trend;
                r[2] = (float)qoh;
                r[3] = (float)price;
                r[4] = (float)dow;
                r[5] = (float)holiday;
                r[6] = (float)(sales7 / fmax(qoh, 1.0));
                r[7] = (float)pva;
        }
        return x;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
        uint64_t v;
        sw_iforest_params_default(&o->params, 0);
        o->repeat = 5;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *val = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        exit(0);
                }
                if (!val)
                        return -EINVAL;
                i++;
                if (strcmp(a, "--csv") == 0)
                        o->csv = val;
                else if (strcmp(a, "--out") == 0)
                        o->out = val;
                else if (strcmp(a, "--synthetic") == 0 && parse_u64(val, UINT32_MAX, &v) == 0)
                        o->synthetic = (uint32_t)v;
                else if (strcmp(a, "--repeat") == 0 && parse_u64(val, 1000, &v) == 0 && v > 0)
                        o->repeat = (unsigned)v;
                else if (strcmp(a, "--seed") == 0 && parse_u64(val, UINT64_MAX, &v) == 0)
                        o->params.seed = v;
                else if (strcmp(a, "--trees") == 0 && parse_u64(val, UINT16_MAX, &v) == 0)
                        o->params.n_trees = (uint16_t)v;
                else if (strcmp(a, "--samples") == 0 && parse_u64(val, UINT16_MAX, &v) == 0)
                        o->params.sample_size = (uint16_t)v;
                else if (strcmp(a, "--depth") == 0 && parse_u64(val, UINT8_MAX, &v) == 0)
                        o->params.max_depth = (uint8_t)v;
                else if (strcmp(a, "--contamination") == 0)
                        o->params.contamination = strtod(val, NULL);
                else
                        return -EINVAL;
        }
        return (o->csv != NULL) != (o->synthetic > 0) ? 0 : -EINVAL;
}

/* Fit and score x once; times in ms. Returns 0 or -errno. */
static int run_once(const struct sw_iforest_params *p, const float *x, uint32_t n, double *scratch,
                    double *scores, void *mem, size_t mem_size, struct sw_iforest *f,
                    double *ret_fit_ms, double *ret_score_ms)
{
        int r = sw_iforest_init(f, p, mem, mem_size);
        if (r < 0)
                return r;
        double t0 = now_ms();
        r = sw_iforest_fit(f, x, n, scratch);
        double t1 = now_ms();
        if (r < 0)
                return r;
        r = sw_iforest_score_many(f, x, n, scores);
        double t2 = now_ms();
        if (r < 0)
                return r;
        *ret_fit_ms = t1 - t0;
        *ret_score_ms = t2 - t1;
        return 0;
}

int main(int argc, char **argv)
{
        struct bench_opts o = {0};
        struct sw_iforest f;
        float *x = NULL;
        uint32_t n, nf = 8;
        int r;
        long hwm_start = proc_status_kb("VmHWM");

        if (parse_args(argc, argv, &o) < 0) {
                usage(stderr);
                return 2;
        }
        if (o.csv) {
                long rows = read_csv(o.csv, &x, &nf);
                if (rows < 2) {
                        fprintf(stderr, "bench_iforest: %s: %s\n", o.csv,
                                rows < 0 ? strerror((int)-rows) : "fewer than 2 rows");
                        return 1;
                }
                n = (uint32_t)rows;
        } else {
                n = o.synthetic;
                x = synthetic_rows(n);
                if (!x || n < 2) {
                        fprintf(stderr, "bench_iforest: cannot generate %u rows\n", n);
                        return 1;
                }
        }
        long hwm_data = proc_status_kb("VmHWM");
        o.params.n_features = (uint8_t)nf;
        size_t mem_size = sw_iforest_memory_size(&o.params);
        if (mem_size == 0) {
                fprintf(stderr, "bench_iforest: invalid forest parameters\n");
                return 2;
        }
        void *mem = malloc(mem_size);
        double *scratch = malloc((size_t)n * sizeof(double));
        double *scores = malloc((size_t)n * sizeof(double));
        if (!mem || !scratch || !scores) {
                fprintf(stderr, "bench_iforest: out of memory\n");
                return 1;
        }
        /* Touch everything so that the "before" peak already holds the buffers. */
        memset(mem, 1, mem_size);
        memset(scratch, 1, (size_t)n * sizeof(double));
        memset(scores, 1, (size_t)n * sizeof(double));
        long hwm_before = proc_status_kb("VmHWM");

        unsigned runs = o.csv ? 1 : o.repeat;
        double fit_ms[1000], score_ms[1000], total_ms[1000];
        for (unsigned i = 0; i < runs; i++) {
                r = run_once(&o.params, x, n, scratch, scores, mem, mem_size, &f, &fit_ms[i],
                             &score_ms[i]);
                if (r < 0) {
                        fprintf(stderr, "bench_iforest: fit: %s\n", strerror(-r));
                        return 1;
                }
                total_ms[i] = fit_ms[i] + score_ms[i];
        }
        long hwm_after = proc_status_kb("VmHWM");

        printf("rows %" PRIu32 "\nfeatures %" PRIu32 "\n", n, nf);
        printf("trees %u\nsample_size %u\nseed %" PRIu64 "\n", o.params.n_trees,
               o.params.sample_size, o.params.seed);
        printf("fit_ms %.3f\nscore_ms %.3f\n", fit_ms[0], score_ms[0]);
        if (runs > 1) {
                qsort(fit_ms, runs, sizeof(double), cmp_double);
                qsort(score_ms, runs, sizeof(double), cmp_double);
                qsort(total_ms, runs, sizeof(double), cmp_double);
                printf("runs %u\nfit_ms_median %.3f\nscore_ms_median %.3f\n", runs,
                       fit_ms[runs / 2], score_ms[runs / 2]);
                printf("total_ms_min %.3f\ntotal_ms_median %.3f\ntotal_ms_max %.3f\n", total_ms[0],
                       total_ms[runs / 2], total_ms[runs - 1]);
        }
        size_t serialized = sw_iforest_serialized_size(&f);
        printf("threshold %.17g\n", sw_iforest_threshold(&f));
        printf("forest_memory_bytes %zu\n", mem_size);
        printf("node_pool_bytes %zu\n",
               (size_t)f.params.pool_nodes * (sizeof(struct sw_iforest_node) + sizeof(uint16_t)));
        printf("nodes_used %zu\nmodel_bytes %zu\n", (serialized - 48) / 8, serialized);
        printf("scratch_bytes %zu\n", (size_t)n * sizeof(double));
        /* start: before the data; data: data loaded; before: every buffer allocated and
         * touched; after: fit + score. */
        printf("vmhwm_start_kb %ld\nvmhwm_data_kb %ld\nvmhwm_before_kb %ld\nvmhwm_after_kb %ld\n",
               hwm_start, hwm_data, hwm_before, hwm_after);

        if (o.out) {
                FILE *fp = fopen(o.out, "we");
                if (!fp) {
                        fprintf(stderr, "bench_iforest: %s: %s\n", o.out, strerror(errno));
                        return 1;
                }
                for (uint32_t i = 0; i < n; i++)
                        fprintf(fp, "%.17g\n", scores[i]);
                if (fclose(fp) != 0) {
                        fprintf(stderr, "bench_iforest: %s: %s\n", o.out, strerror(errno));
                        return 1;
                }
        }
        free(scores);
        free(scratch);
        free(mem);
        free(x);
        return 0;
}
