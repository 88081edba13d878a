using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Formats;

public class GgufFileTests
{
    static float[] Ramp(int n, float scale = 0.01f) => Enumerable.Range(0, n).Select(i => (i % 97 - 48) * scale).ToArray();

    [Theory]
    [InlineData(TensorDType.F32, 0f)]
    [InlineData(TensorDType.F16, 1e-3f)]
    [InlineData(TensorDType.BF16, 4e-3f)]
    [InlineData(TensorDType.Q8_0, 0.6f / 127)] // half a step plus the f16 rounding of the scale
    public void Tensors_round_trip_within_the_dtype_precision(TensorDType dtype, float relTol)
    {
        using var dir = new TempDir();
        var data = Ramp(3 * 64);
        var w = new GgufWriter();
        w.AddTensor("a", [3, 64], dtype, data);
        w.AddTensor("b", [5], TensorDType.F32, new float[] { 1, 2, 3, 4, 5 });
        w.Write(dir.File("t.gguf"));

        using var f = GgufFile.Open(dir.File("t.gguf"));
        Assert.Equal(3u, f.Version);
        var a = f.Get("a");
        Assert.Equal(dtype, a.DType);
        Assert.Equal([3L, 64L], a.Shape);
        Assert.Equal(0, a.Offset % 32);
        Assert.Equal(0, f.DataOffset % 32);
        var back = new float[a.ElementCount];
        f.ReadF32(a, back);
        float amax = data.Max(MathF.Abs);
        for (int i = 0; i < data.Length; i++)
            Assert.True(MathF.Abs(back[i] - data[i]) <= relTol * MathF.Max(MathF.Abs(data[i]), dtype == TensorDType.Q8_0 ? amax : 0),
                $"{dtype} [{i}]: {back[i]} vs {data[i]}");
        var b = new float[5];
        f.ReadF32(f.Get("b"), b);
        Assert.Equal([1f, 2f, 3f, 4f, 5f], b);
    }

    [Fact]
    public void Metadata_of_every_type_round_trips()
    {
        using var dir = new TempDir();
        var w = new GgufWriter();
        w.Add("u8", (byte)200); w.Add("i8", (sbyte)-5); w.Add("u16", (ushort)60000); w.Add("i16", (short)-300);
        w.Add("u32", 4000000000u); w.Add("i32", -7); w.Add("u64", ulong.MaxValue); w.Add("i64", long.MinValue);
        w.Add("f32", 1.5f); w.Add("f64", Math.PI); w.Add("yes", true); w.Add("s", "héllo");
        w.Add("strs", new[] { "a", "", "<s>" }); w.Add("floats", new[] { 0.5f, -1f }); w.Add("ints", new[] { 1, 2, 3 });
        w.Add("empty", Array.Empty<string>());
        w.Write(dir.File("m.gguf"));

        using var f = GgufFile.Open(dir.File("m.gguf"));
        Assert.Equal((byte)200, f.Metadata["u8"]); Assert.Equal((sbyte)-5, f.Metadata["i8"]);
        Assert.Equal((ushort)60000, f.Metadata["u16"]); Assert.Equal((short)-300, f.Metadata["i16"]);
        Assert.Equal(4000000000u, f.Metadata["u32"]); Assert.Equal(-7, f.Metadata["i32"]);
        Assert.Equal(ulong.MaxValue, f.Metadata["u64"]); Assert.Equal(long.MinValue, f.Metadata["i64"]);
        Assert.Equal(1.5f, f.Metadata["f32"]); Assert.Equal(Math.PI, f.Metadata["f64"]);
        Assert.Equal(true, f.Metadata["yes"]); Assert.Equal("héllo", f.GetString("s"));
        Assert.Equal(new[] { "a", "", "<s>" }, f.Metadata["strs"]);
        Assert.Equal(new[] { 0.5f, -1f }, f.Metadata["floats"]);
        Assert.Equal(new[] { 1, 2, 3 }, f.Metadata["ints"]);
        Assert.Equal(Array.Empty<string>(), f.Metadata["empty"]);
        Assert.Equal(4000000000L, f.GetInteger("u32"));
        Assert.Equal(3.0, f.GetFloat("missing", 3.0));
        Assert.Empty(f.Tensors);
    }

    static string WriteSmall(TempDir dir)
    {
        var w = new GgufWriter();
        w.Add("general.architecture", "llama");
        w.AddTensor("x", [2, 32], TensorDType.F32, new float[64]);
        string path = dir.File("s.gguf");
        w.Write(path);
        return path;
    }

    [Fact]
    public void Bad_magic_is_reported()
    {
        using var dir = new TempDir();
        string path = WriteSmall(dir);
        var bytes = File.ReadAllBytes(path);
        bytes[0] = (byte)'X';
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Every_truncation_gives_a_format_error_naming_the_file()
    {
        using var dir = new TempDir();
        string path = WriteSmall(dir);
        var bytes = File.ReadAllBytes(path);
        string cut = dir.File("cut.gguf");
        for (int len = 0; len < bytes.Length; len++)
        {
            File.WriteAllBytes(cut, bytes[..len]);
            var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(cut));
            Assert.Contains(cut, e.Message);
        }
    }

    [Fact]
    public void Unsupported_ggml_type_names_the_tensor_and_the_type_number()
    {
        using var dir = new TempDir();
        string path = WriteSmall(dir);
        var bytes = File.ReadAllBytes(path);
        // The tensor info ends with u32 type then u64 offset; the name "x" is the only one.
        int nameAt = IndexOf(bytes, "\u0001\0\0\0\0\0\0\0x"u8.ToArray()) + 9;
        int typeAt = nameAt + 4 + 2 * 8;
        BitConverter.GetBytes(2u).CopyTo(bytes, typeAt); // Q4_0
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(path));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("ggml type 2 (Q4_0)", e.Message);
    }

    [Fact]
    public void Corrupted_counts_and_lengths_never_crash()
    {
        using var dir = new TempDir();
        string path = WriteSmall(dir);
        var good = File.ReadAllBytes(path);
        string bad = dir.File("bad.gguf");
        // Overwrite each 8-byte window of the header with 0xFF: every length, count and dimension in turn.
        int headerEnd = good.Length - 64 * 4; // the 2x32 f32 tensor is the last 256 bytes
        for (int at = 4; at + 8 <= headerEnd; at++)
        {
            var bytes = (byte[])good.Clone();
            for (int k = 0; k < 8; k++) bytes[at + k] = 0xFF;
            File.WriteAllBytes(bad, bytes);
            try { GgufFile.Open(bad).Dispose(); }
            catch (ModelFormatException) { }
        }
    }

    static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
            if (hay.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        throw new InvalidOperationException("pattern not found");
    }
}
