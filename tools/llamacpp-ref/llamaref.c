/* llamaref: plain C functions over llama.cpp for reference logits and timings. See llamaref.h. */
#define _GNU_SOURCE
#include "llamaref.h"

#include <dlfcn.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml-backend.h"
#include "llama.h"

struct lr_model {
    struct llama_model *model;
    struct llama_context *ctx;
    int n_vocab;
    int n_ctx;
};

/* ---- errors and llama.cpp's log ---- */

static __thread char last_error[4096];
/* Error-level lines llama.cpp logged on this thread since the current lr_* call began. */
static __thread char logged_errors[4096];
static __thread int logging_error; /* the previous log piece was error-level (for GGML_LOG_LEVEL_CONT) */
static int log_to_stderr;

static void append(char *buf, size_t cap, const char *text) {
    size_t len = strlen(buf);
    if (len + 1 < cap) snprintf(buf + len, cap - len, "%s", text);
}

static void on_log(enum ggml_log_level level, const char *text, void *user_data) {
    (void)user_data;
    if (log_to_stderr) fputs(text, stderr);
    if (level != GGML_LOG_LEVEL_CONT) logging_error = level == GGML_LOG_LEVEL_ERROR;
    if (logging_error) append(logged_errors, sizeof logged_errors, text);
}

static void begin_call(void) {
    last_error[0] = 0;
    logged_errors[0] = 0;
    logging_error = 0;
}

/* Sets the last error to the formatted message, followed by what llama.cpp logged as errors. */
static int fail(int code, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
    if (logged_errors[0]) {
        append(last_error, sizeof last_error, "; llama.cpp said: ");
        append(last_error, sizeof last_error, logged_errors);
        size_t len = strlen(last_error);
        while (len > 0 && (last_error[len - 1] == '\n' || last_error[len - 1] == ' ')) last_error[--len] = 0;
    }
    return code;
}

const char *lr_last_error(void) { return last_error; }

/* ---- one-time backend setup ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char init_error[1024];

/* Loads the CPU backend variants (libggml-cpu-*.so) from the folder libllama itself was loaded from;
 * ggml picks the best one for this CPU. */
static void init_backends(void) {
    log_to_stderr = getenv("LLAMAREF_LOG") != NULL;
    llama_log_set(on_log, NULL);

    Dl_info info;
    if (!dladdr((void *)llama_backend_init, &info) || !info.dli_fname) {
        snprintf(init_error, sizeof init_error, "cannot locate libllama's folder (dladdr failed)");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", info.dli_fname);
    const char *dir = dirname(path);
    ggml_backend_load_all_from_path(dir);
    if (ggml_backend_dev_count() == 0) {
        snprintf(init_error, sizeof init_error, "no ggml backend could be loaded from %s (libggml-cpu-*.so)", dir);
        return;
    }
    llama_backend_init();
}

/* ---- the API ---- */

void *lr_load(const char *gguf_path, int n_threads, int n_ctx) {
    begin_call();
    pthread_once(&init_once, init_backends);
    if (init_error[0]) { fail(LR_E_LOAD, "%s", init_error); return NULL; }
    if (!gguf_path) { fail(LR_E_ARG, "lr_load: gguf_path is null"); return NULL; }
    if (n_threads < 1) { fail(LR_E_ARG, "lr_load: n_threads must be >= 1, got %d", n_threads); return NULL; }
    if (n_ctx < 1) { fail(LR_E_ARG, "lr_load: n_ctx must be >= 1, got %d", n_ctx); return NULL; }

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.load_mode = LLAMA_LOAD_MODE_NONE; /* read into memory: the file can be deleted while loaded */
    mp.lazy_mode = LLAMA_LAZY_MODE_OFF;
    struct llama_model *model = llama_model_load_from_file(gguf_path, mp);
    if (!model) { fail(LR_E_LOAD, "llama.cpp could not load %s", gguf_path); return NULL; }

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)n_ctx;
    cp.n_batch = (uint32_t)n_ctx;  /* a whole prompt is one llama_decode ... */
    cp.n_ubatch = (uint32_t)n_ctx; /* ... and one graph evaluation */
    cp.n_seq_max = 1;
    cp.n_threads = n_threads;
    cp.n_threads_batch = n_threads;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; /* plain KQ -> softmax -> V in F32 */
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.no_perf = true;
    cp.embeddings = false;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        llama_model_free(model);
        fail(LR_E_LOAD, "llama.cpp could not create a context (n_ctx %d) for %s", n_ctx, gguf_path);
        return NULL;
    }

    struct lr_model *m = calloc(1, sizeof *m);
    if (!m) {
        llama_free(ctx);
        llama_model_free(model);
        fail(LR_E_ALLOC, "lr_load: out of memory");
        return NULL;
    }
    m->model = model;
    m->ctx = ctx;
    m->n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    m->n_ctx = (int)llama_n_ctx(ctx);
    if (m->n_ctx > n_ctx) m->n_ctx = n_ctx; /* llama.cpp may round n_ctx up; n_batch stays as asked */
    return m;
}

int lr_n_vocab(void *handle) {
    begin_call();
    if (!handle) return fail(LR_E_ARG, "lr_n_vocab: null model");
    return ((struct lr_model *)handle)->n_vocab;
}

int lr_n_ctx(void *handle) {
    begin_call();
    if (!handle) return fail(LR_E_ARG, "lr_n_ctx: null model");
    return ((struct lr_model *)handle)->n_ctx;
}

/* Decodes tokens at positions pos0.. as one batch; logits for every position when all_logits, else the last. */
static int decode(struct lr_model *m, const int *tokens, int n, int pos0, int all_logits) {
    struct llama_batch batch = llama_batch_init(n, 0, 1);
    if (!batch.token) return fail(LR_E_ALLOC, "llama_batch_init(%d) failed", n);
    for (int i = 0; i < n; i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = pos0 + i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = all_logits || i == n - 1;
    }
    batch.n_tokens = n;
    int rc = llama_decode(m->ctx, batch);
    llama_batch_free(batch);
    if (rc != 0) return fail(LR_E_DECODE, "llama_decode of %d tokens at position %d returned %d", n, pos0, rc);
    return LR_OK;
}

static int check_tokens(const struct lr_model *m, const int *tokens, int n) {
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->n_vocab)
            return fail(LR_E_ARG, "token %d at index %d is outside the vocabulary [0, %d)", tokens[i], i, m->n_vocab);
    return LR_OK;
}

int lr_logits_all(void *handle, const int *tokens, int n, float *out) {
    begin_call();
    struct lr_model *m = handle;
    if (!m || !tokens || !out) return fail(LR_E_ARG, "lr_logits_all: null argument");
    if (n < 1 || n > m->n_ctx) return fail(LR_E_ARG, "lr_logits_all: n must be in [1, %d], got %d", m->n_ctx, n);
    int rc = check_tokens(m, tokens, n);
    if (rc != LR_OK) return rc;

    llama_memory_clear(llama_get_memory(m->ctx), true);
    rc = decode(m, tokens, n, 0, 1);
    if (rc != LR_OK) return rc;
    for (int i = 0; i < n; i++) {
        const float *row = llama_get_logits_ith(m->ctx, i);
        if (!row) return fail(LR_E_DECODE, "llama_get_logits_ith(%d) returned null", i);
        memcpy(out + (size_t)i * m->n_vocab, row, sizeof(float) * (size_t)m->n_vocab);
    }
    return LR_OK;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

int lr_bench(void *handle, int n_prompt, int n_gen, double *prefill_seconds, double *decode_seconds) {
    begin_call();
    struct lr_model *m = handle;
    if (!m || !prefill_seconds || !decode_seconds) return fail(LR_E_ARG, "lr_bench: null argument");
    if (n_prompt < 1 || n_gen < 0 || n_prompt + n_gen > m->n_ctx)
        return fail(LR_E_ARG, "lr_bench: need n_prompt >= 1, n_gen >= 0 and n_prompt + n_gen <= %d, got %d + %d",
                    m->n_ctx, n_prompt, n_gen);

    int *prompt = malloc(sizeof(int) * (size_t)n_prompt);
    if (!prompt) return fail(LR_E_ALLOC, "lr_bench: out of memory");
    unsigned long long state = 0x9E3779B97F4A7C15ull; /* fixed seed: every run decodes the same tokens */
    for (int i = 0; i < n_prompt; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        prompt[i] = (int)((state >> 33) % (unsigned long long)m->n_vocab);
    }

    llama_memory_clear(llama_get_memory(m->ctx), true);
    double t0 = now_seconds();
    int rc = decode(m, prompt, n_prompt, 0, 0);
    free(prompt);
    if (rc != LR_OK) return rc;
    const float *logits = llama_get_logits_ith(m->ctx, -1); /* waits for the computation to finish */
    if (!logits) return fail(LR_E_DECODE, "no logits after the prefill");
    double t1 = now_seconds();

    for (int i = 0; i < n_gen; i++) {
        int next = argmax(logits, m->n_vocab);
        rc = decode(m, &next, 1, n_prompt + i, 1);
        if (rc != LR_OK) return rc;
        logits = llama_get_logits_ith(m->ctx, -1);
        if (!logits) return fail(LR_E_DECODE, "no logits after decode step %d", i);
    }
    double t2 = now_seconds();

    *prefill_seconds = t1 - t0;
    *decode_seconds = t2 - t1;
    return LR_OK;
}

int lr_quantize(const char *gguf_in, const char *gguf_out, int ftype, int n_threads) {
    begin_call();
    pthread_once(&init_once, init_backends);
    if (init_error[0]) return fail(LR_E_LOAD, "%s", init_error);
    if (!gguf_in || !gguf_out) return fail(LR_E_ARG, "lr_quantize: null path");
    struct llama_model_quantize_params p = llama_model_quantize_default_params();
    p.nthread = n_threads;
    p.ftype = (enum llama_ftype)ftype;
    uint32_t rc = llama_model_quantize(gguf_in, gguf_out, &p);
    if (rc != 0) return fail(LR_E_LOAD, "llama_model_quantize %s -> %s (ftype %d) failed", gguf_in, gguf_out, ftype);
    return LR_OK;
}

void lr_free(void *handle) {
    begin_call();
    struct lr_model *m = handle;
    if (!m) return;
    llama_free(m->ctx);
    llama_model_free(m->model);
    free(m);
}
