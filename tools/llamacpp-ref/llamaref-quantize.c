/* llamaref-quantize IN.gguf OUT.gguf TYPE [THREADS=2]: llama.cpp's own quantiser (lr_quantize) from the
 * command line, for benchmarks. TYPE: q8_0, q4_k_m, bf16 or f16. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llamaref.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: llamaref-quantize IN.gguf OUT.gguf q8_0|q4_k_m|bf16|f16 [THREADS]\n");
        return 2;
    }
    static const struct { const char *name; int ftype; } types[] = {
        {"q8_0", 7}, {"q4_k_m", 15}, {"bf16", 32}, {"f16", 1},
    };
    int ftype = -1;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(argv[3], types[i].name) == 0) ftype = types[i].ftype;
    if (ftype < 0) {
        fprintf(stderr, "llamaref-quantize: unknown type '%s' (q8_0, q4_k_m, bf16, f16)\n", argv[3]);
        return 2;
    }
    int threads = argc > 4 ? atoi(argv[4]) : 2;
    if (lr_quantize(argv[1], argv[2], ftype, threads < 1 ? 1 : threads) != 0) {
        fprintf(stderr, "llamaref-quantize: %s\n", lr_last_error());
        return 1;
    }
    return 0;
}
