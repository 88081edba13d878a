/* llamaref: a handful of plain C functions over llama.cpp, so that C# (P/Invoke) and shell scripts can use
 * llama.cpp as a reference without mirroring llama.h's by-value structs.
 *
 * Every function that can fail returns a negative code (or NULL) and leaves a message for lr_last_error().
 * llama.cpp's own log is silent unless the environment variable LLAMAREF_LOG is set (to anything); its
 * error-level lines are still captured for lr_last_error().
 */
#ifndef LLAMAREF_H
#define LLAMAREF_H

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. */
#define LR_OK              0
#define LR_E_ARG          -1 /* bad argument (null handle, n out of range, token id out of range) */
#define LR_E_LOAD         -2 /* llama.cpp could not load the model or create a context */
#define LR_E_DECODE       -3 /* llama_decode failed */
#define LR_E_ALLOC        -4 /* out of memory */

/* Loads a GGUF file fully into memory (no mmap, so the file may be deleted afterwards) and creates a
 * context of n_ctx positions that takes up to n_ctx tokens in one batch, with an F32 KV cache and flash
 * attention off (the most exact settings llama.cpp's CPU backend offers). Returns NULL on failure. */
void *lr_load(const char *gguf_path, int n_threads, int n_ctx);

/* Vocabulary size: the width of one row of logits. */
int lr_n_vocab(void *model);

/* Context size the model was loaded with (the most tokens lr_logits_all takes). */
int lr_n_ctx(void *model);

/* Clears the KV cache, decodes tokens[0..n) as one batch at positions 0..n-1 and writes the logits of
 * every position to out[n * n_vocab] (row i = logits after token i). Returns LR_OK or an error code. */
int lr_logits_all(void *model, const int *tokens, int n, float *out);

/* Clears the KV cache, prefills n_prompt deterministic pseudo-random tokens in one batch, then runs n_gen
 * single-token decode steps, each feeding back the argmax of the previous logits. Wall-clock seconds
 * (CLOCK_MONOTONIC) of the prefill and of all decode steps together go to *prefill_seconds and
 * *decode_seconds. Needs n_prompt + n_gen <= lr_n_ctx(model). Returns LR_OK or an error code. */
int lr_bench(void *model, int n_prompt, int n_gen, double *prefill_seconds, double *decode_seconds);

/* Writes GGUF_OUT: GGUF_IN quantised by llama.cpp's own quantiser (llama_model_quantize, default parameters)
 * to the llama_ftype FTYPE (7 = Q8_0, 15 = Q4_K_M, 32 = BF16, 1 = F16), on n_threads threads. llama.cpp picks
 * each tensor's type as for any model (Q4_K_M: Q4_K with Q6_K for some, and 32-block fallbacks such as Q5_0 and
 * Q8_0 for rows that are not whole 256-blocks). Returns LR_OK or LR_E_LOAD. */
int lr_quantize(const char *gguf_in, const char *gguf_out, int ftype, int n_threads);

/* The message of the last failure on this thread ("" if none). Valid until the next lr_* call. */
const char *lr_last_error(void);

/* Frees the context and the model. NULL is allowed. */
void lr_free(void *model);

#ifdef __cplusplus
}
#endif

#endif
