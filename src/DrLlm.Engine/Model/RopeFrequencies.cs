namespace DrLlm.Engine.Model;

/// <summary>Rotary embedding frequencies, one per pair of a head's dimensions (HeadDim / 2 of them).</summary>
public static class RopeFrequencies
{
    /// <summary>
    /// inv_freq[i] = theta^(-2i/d), divided by the per-frequency factor of Llama-3 scaling when the config has one.
    /// </summary>
    public static float[] Compute(ModelConfig c)
    {
        int half = c.HeadDim / 2;
        var f = new float[half];
        var factors = c.RopeFreqFactors ?? (c.RopeScaling is { } s ? Llama3Factors(s, c.RopeTheta, c.HeadDim) : null);
        if (factors is not null && factors.Length != half)
            throw new ModelFormatException($"rope_freqs has {factors.Length} values; head_dim/2 = {half} expected");
        for (int i = 0; i < half; i++)
        {
            double inv = Math.Pow(c.RopeTheta, -2.0 * i / c.HeadDim);
            if (factors is not null) inv /= factors[i];
            f[i] = (float)inv;
        }
        return f;
    }

    /// <summary>
    /// Llama-3 frequency-dependent scaling as divisors: 1 for high frequencies, <c>factor</c> for low ones, a smooth
    /// blend between. Same formula as transformers' <c>_compute_llama3_parameters</c> and llama.cpp's converter
    /// (convert_hf_to_gguf.py, LlamaModel.generate_extra_tensors), which writes exactly these values as rope_freqs.weight.
    /// </summary>
    public static float[] Llama3Factors(RopeScaling s, float theta, int headDim)
    {
        int half = headDim / 2;
        var r = new float[half];
        double lowFreqWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highFreqWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (int i = 0; i < half; i++)
        {
            double freq = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highFreqWavelen) r[i] = 1f;
            else if (wavelen > lowFreqWavelen) r[i] = s.Factor;
            else
            {
                double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                r[i] = (float)(1.0 / ((1 - smooth) / s.Factor + smooth));
            }
        }
        return r;
    }
}
