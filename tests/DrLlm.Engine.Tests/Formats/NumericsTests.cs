using System.Runtime.InteropServices;
using DrLlm.Engine.Formats;

namespace DrLlm.Engine.Tests.Formats;

public class NumericsTests
{
    [Fact]
    public void F16_round_trips_and_rounds_to_nearest_even()
    {
        // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to the even mantissa, 1.
        // 1 + 3*2^-11 lies between 1+2^-10 (odd) and 1+2^-9 (even): goes up.
        float[] src = [0f, -2.5f, 65504f, 1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 1e-8f];
        var h = new Half[src.Length];
        Numerics.F32ToF16(src, h);
        var back = new float[src.Length];
        Numerics.F16ToF32(h, back);
        Assert.Equal([0f, -2.5f, 65504f, 1f, 1f + MathF.Pow(2, -9), 0f], back);
    }

    [Fact]
    public void BF16_rounds_to_nearest_even_and_keeps_nan()
    {
        Assert.Equal(0x3f80, Numerics.F32ToBF16(1f));
        Assert.Equal(0x3f80, Numerics.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3f808000))); // tie, even stays
        Assert.Equal(0x3f82, Numerics.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3f818000))); // tie, odd goes up
        Assert.Equal(0x3f81, Numerics.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3f808001)));
        Assert.True(float.IsNaN(Numerics.BF16ToF32(Numerics.F32ToBF16(BitConverter.UInt32BitsToSingle(0x7f800001)))));
        Assert.True(float.IsPositiveInfinity(Numerics.BF16ToF32(Numerics.F32ToBF16(float.PositiveInfinity))));
    }

    [Fact]
    public void BF16_vector_and_scalar_paths_agree()
    {
        var rng = new Random(1);
        var bits = Enumerable.Range(0, 1000).Select(_ => (ushort)rng.Next(0, 65536)).ToArray();
        var dst = new float[bits.Length];
        Numerics.BF16ToF32(bits, dst);
        for (int i = 0; i < bits.Length; i++)
            Assert.Equal((uint)bits[i] << 16, BitConverter.SingleToUInt32Bits(dst[i]));
    }

    [Fact]
    public void Q8_0_matches_the_ggml_reference_on_hand_computed_blocks()
    {
        // quantize_row_q8_0_ref: d = amax/127 (stored f16), q = roundf(x/d), halves away from zero.
        // Block 0: amax 127 -> d = 1.   Block 1: amax 63.5 -> d = 0.5, so x/d = 2x.
        var x = new float[64];
        float[] b0 = [0.5f, -1.5f, 2.5f, -0.49f, 127f, 3.7f, -127f];
        float[] b1 = [0.25f, -0.75f, 63.5f, 10.1f];
        b0.CopyTo(x, 0);
        b1.CopyTo(x, 32);
        var blocks = new byte[2 * Numerics.Q8BlockBytes];
        Numerics.F32ToQ8_0(x, blocks);

        Assert.Equal(0x3C00, BitConverter.ToUInt16(blocks, 0)); // f16 1.0
        Assert.Equal(0x3800, BitConverter.ToUInt16(blocks, 34)); // f16 0.5
        var q0 = MemoryMarshal.Cast<byte, sbyte>(blocks.AsSpan(2, 32)).ToArray();
        var q1 = MemoryMarshal.Cast<byte, sbyte>(blocks.AsSpan(36, 32)).ToArray();
        Assert.Equal(new sbyte[] { 1, -2, 3, 0, 127, 4, -127, 0 }, q0[..8]);
        Assert.Equal(new sbyte[] { 1, -2, 127, 20, 0 }, q1[..5]);

        var back = new float[64];
        unsafe { fixed (byte* b = blocks) Numerics.ToF32(TensorDType.Q8_0, b, back); }
        Assert.Equal([1f, -2f, 3f, 0f, 127f, 4f, -127f], back[..7]);
        Assert.Equal([0.5f, -1f, 63.5f, 10f], back[32..36]);
    }

    [Fact]
    public void Q8_0_scale_is_rounded_to_f16_but_quantisation_uses_the_f32_scale()
    {
        // amax 1 -> d = 1/127, not representable in f16; ggml divides by the f32 d, so x = 1 gives exactly 127.
        var x = new float[32];
        x[0] = 1f; x[1] = 0.5f;
        var block = new byte[Numerics.Q8BlockBytes];
        Numerics.F32ToQ8_0(x, block);
        Assert.Equal((Half)(1f / 127f), BitConverter.ToHalf(block));
        Assert.Equal(127, (sbyte)block[2]);
        Assert.Equal(64, (sbyte)block[3]); // 63.5 rounds away from zero
    }

    [Fact]
    public void Q8_0_zero_block_has_zero_scale()
    {
        var block = new byte[Numerics.Q8BlockBytes];
        Numerics.F32ToQ8_0(new float[32], block);
        Assert.All(block, b => Assert.Equal(0, b));
    }
}
