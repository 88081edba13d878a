using DrLlm.Tests.Shared;
using System.Diagnostics;
using DrLlm.Engine.Model;

namespace DrLlm.Pretrain.Tests;

/// <summary><c>drllm pretrain</c> end to end on a tiny config: train, refuse to overwrite, resume, load the result.</summary>
public class PretrainCliTests
{
    private static (int Code, string Out, string Err) Drllm(params string[] args) => DrllmProcess.Run(args);

    [Fact]
    public void Pretrain_writes_a_loadable_model_and_resumes()
    {
        using var dir = new TempDir();
        string config = dir.File("tiny.json"), run = dir.File("run");
        File.WriteAllText(config, """
            { "hidden": 32, "layers": 2, "heads": 4, "kvHeads": 2, "ffn": 64, "seqLen": 32, "batch": 2,
              "warmupSteps": 2, "logInterval": 2, "evalInterval": 3, "evalBatches": 1, "checkpointInterval": 0 }
            """);
        var (code, output, err) = Drllm("pretrain", "--out", run, "--config", config, "--steps", "4", "--threads", "2");
        Assert.True(code == 0, err + output);
        Assert.Contains("step      4/4", output);
        Assert.Contains("tok/s", output);
        Assert.Contains("held-out answer loss", output);
        Assert.Contains("% of the 2-thread GEMM peak", output);

        (code, _, err) = Drllm("pretrain", "--out", run, "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("--resume", err);

        (code, output, err) = Drllm("pretrain", "--out", run, "--resume", "--steps", "6", "--threads", "2");
        Assert.True(code == 0, err + output);
        Assert.Contains("resuming at step 4", output);
        Assert.Contains("step      6/6", output);

        (code, _, err) = Drllm("pretrain", "--out", run, "--resume", "--corpus", "arith:1-2", "--steps", "7");
        Assert.Equal(1, code);
        Assert.Contains("trained on corpus 'tasks:arith+mcq', resuming with 'tasks:arith:1-2' (pass --switch-corpus", err);
        (code, _, err) = Drllm("pretrain", "--out", run, "--resume", "--switch-corpus", "--steps", "7");
        Assert.Equal(1, code);
        Assert.Contains("--switch-corpus needs --corpus", err);
        (code, output, err) = Drllm("pretrain", "--out", run, "--resume", "--switch-corpus", "--corpus", "arith:1-2", "--steps", "7", "--threads", "2");
        Assert.True(code == 0, err + output);
        Assert.Contains("corpus tasks:arith:1-2", output);
        Assert.Contains("step      7/7", output);

        using var decoder = Decoder.Load(run, threads: 2);
        Assert.Equal(2, decoder.Config.NumLayers);
        Assert.True(File.Exists(Path.Combine(run, "tokenizer.json")));

        File.WriteAllText(config, """{ "hiden": 32 }""");
        (code, _, err) = Drllm("pretrain", "--out", dir.File("other"), "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("hiden", err);
    }
}
