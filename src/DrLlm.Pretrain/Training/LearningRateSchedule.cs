namespace DrLlm.Pretrain.Training;

/// <summary>Linear warm-up to the peak, then cosine decay to MinLrRatio·peak at the last step (nanoGPT's get_lr).</summary>
public static class LearningRateSchedule
{
    /// <summary>Learning rate of step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static float At(int step, int warmupSteps, int totalSteps, float peak, float minRatio)
    {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        float min = peak * minRatio;
        int decaySteps = Math.Max(1, totalSteps - 1 - warmupSteps);
        double progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        return (float)(min + 0.5 * (peak - min) * (1 + Math.Cos(Math.PI * progress)));
    }
}
