/* llamaref-bench: llama.cpp's prefill and decode speed on a GGUF, as one JSON line.
 *
 * Usage: llamaref-bench MODEL.gguf [PROMPT_TOKENS=128] [GEN_TOKENS=32] [THREADS=2] [RUNS=3]
 * One warm-up run, then RUNS timed runs; each figure is the median over the timed runs (lr_bench in
 * llamaref.h says what one run does). Output: {"engine":"llama.cpp","prefill_tok_s":…,"decode_tok_s":…,…,
 * "max_rss_mb":…} (the process's peak resident set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "llamaref.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int arg_int(int argc, char **argv, int i, int fallback, const char *name) {
    if (argc <= i) return fallback;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end || v < 0 || v > 1000000) {
        fprintf(stderr, "llamaref-bench: %s must be a non-negative integer, got '%s'\n", name, argv[i]);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.gguf [PROMPT_TOKENS=128] [GEN_TOKENS=32] [THREADS=2] [RUNS=3]\n", argv[0]);
        return 2;
    }
    int n_prompt = arg_int(argc, argv, 2, 128, "PROMPT_TOKENS");
    int n_gen = arg_int(argc, argv, 3, 32, "GEN_TOKENS");
    int n_threads = arg_int(argc, argv, 4, 2, "THREADS");
    int runs = arg_int(argc, argv, 5, 3, "RUNS");
    if (n_prompt < 1 || n_gen < 1 || n_threads < 1 || runs < 1 || runs > 100) {
        fprintf(stderr, "llamaref-bench: need PROMPT_TOKENS, GEN_TOKENS, THREADS >= 1 and RUNS in [1, 100]\n");
        return 2;
    }

    void *model = lr_load(argv[1], n_threads, n_prompt + n_gen);
    if (!model) {
        fprintf(stderr, "llamaref-bench: %s\n", lr_last_error());
        return 1;
    }
    double prefill[100], decode[100];
    for (int r = -1; r < runs; r++) { /* r == -1: warm-up, not counted */
        double p, d;
        if (lr_bench(model, n_prompt, n_gen, &p, &d) != 0) {
            fprintf(stderr, "llamaref-bench: %s\n", lr_last_error());
            lr_free(model);
            return 1;
        }
        if (r >= 0) {
            prefill[r] = p;
            decode[r] = d;
        }
    }
    lr_free(model);

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage); /* ru_maxrss: peak resident set in KiB, as /proc's VmHWM */
    double p = median(prefill, runs), d = median(decode, runs);
    printf("{\"engine\":\"llama.cpp\",\"prefill_tok_s\":%.2f,\"decode_tok_s\":%.2f,"
           "\"prompt_tokens\":%d,\"gen_tokens\":%d,\"threads\":%d,\"runs\":%d,\"max_rss_mb\":%.1f}\n",
           n_prompt / p, n_gen / d, n_prompt, n_gen, n_threads, runs, usage.ru_maxrss / 1024.0);
    return 0;
}
