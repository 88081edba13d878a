namespace DrLlm.Pretrain.Data;

/// <summary>
/// The built-in default corpus while no task registry is wired in: small integer arithmetic, "37+58=" → "95", with
/// addition, subtraction and multiplication of 1-2 digit numbers (the operands' size drawn per example). A stand-in so
/// <c>drllm pretrain</c> runs end to end offline; the synthetic task families replace it.
/// </summary>
public sealed class ArithmeticCorpus : ITrainingCorpus
{
    public string Name => "builtin-arithmetic";

    public TrainingExample Example(int seed, long index)
    {
        var rng = new Random(Mix(seed, index));
        int max = rng.Next(2) == 0 ? 10 : 100;
        int a = rng.Next(max), b = rng.Next(max);
        return rng.Next(3) switch
        {
            0 => new($"{a}+{b}=", $"{a + b}"),
            1 => new($"{a}-{b}=", $"{a - b}"),
            _ => new($"{a}*{b}=", $"{a * b}"),
        };
    }

    /// <summary>A per-example seed (splitmix64 finaliser), so example i does not depend on examples before it.</summary>
    internal static int Mix(int seed, long index)
    {
        ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }
}
