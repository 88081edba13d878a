using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using DrLlm.Engine.Model;

namespace DrLlm.Pretrain.Training;

/// <summary>What a checkpoint says about the run besides the three float buffers.</summary>
public sealed record CheckpointHeader(PretrainOptions Options, string Corpus, int Step, long AdamSteps, long NextExample, long ParamFloats);

/// <summary>
/// The trainer's state in one file, so a resumed run continues bit for bit:
/// <code>
/// "DRLMPRE1"            8 bytes magic
/// version               int32 LE (1)
/// header length         int32 LE, then the header as UTF-8 JSON (<see cref="CheckpointHeader"/>: options, corpus,
///                       step, Adam's t, next example index, floats per buffer)
/// parameters, Adam m, Adam v   ParamFloats f32 LE each, in the <see cref="Model.ParameterLayout"/> order
/// checksum              uint64 LE, a 64-bit FNV-1a over 8-byte words of everything before it
/// </code>
/// Written to a temporary file and renamed, so a crash while saving leaves the previous checkpoint intact.
/// </summary>
public static unsafe class TrainingCheckpoint
{
    private static readonly byte[] Magic = "DRLMPRE1"u8.ToArray();
    public const int Version = 1;

    public static void Save(string path, CheckpointHeader header, float* param, float* m, float* v)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        long floats = header.ParamFloats;
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var hash = new Fnv64();
            void Put(ReadOnlySpan<byte> bytes) { fs.Write(bytes); hash.Add(bytes); }
            Put(Magic);
            Span<byte> ints = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(ints, Version);
            BinaryPrimitives.WriteInt32LittleEndian(ints[4..], json.Length);
            Put(ints);
            Put(json);
            foreach (nint buffer in new[] { (nint)param, (nint)m, (nint)v })
                for (long o = 0; o < floats; o += 1 << 20)
                    Put(new ReadOnlySpan<byte>((float*)buffer + o, (int)Math.Min(1 << 20, floats - o) * 4));
            Span<byte> sum = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(sum, hash.Value);
            fs.Write(sum);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Reads and verifies a checkpoint. A missing, truncated or corrupt file, or one of another format, throws
    /// <see cref="ModelFormatException"/> naming the file and what is wrong.
    /// </summary>
    public static LoadedCheckpoint Load(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: checkpoint not found");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 24 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new ModelFormatException($"{path}: not a pretraining checkpoint (expected magic 'DRLMPRE1', {bytes.Length} bytes)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version) throw new ModelFormatException($"{path}: checkpoint version {version}, expected {Version}");
        int headerLen = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        if (headerLen < 2 || 16L + headerLen + 8 > bytes.Length)
            throw new ModelFormatException($"{path}: truncated checkpoint (header of {headerLen} bytes does not fit in {bytes.Length})");
        CheckpointHeader header;
        try
        {
            header = JsonSerializer.Deserialize<CheckpointHeader>(bytes.AsSpan(16, headerLen))
                ?? throw new ModelFormatException($"{path}: checkpoint header is null");
        }
        catch (JsonException e) { throw new ModelFormatException($"{path}: corrupt checkpoint header ({e.Message})", e); }
        long dataStart = 16L + headerLen, expected = dataStart + 3 * header.ParamFloats * 4 + 8;
        if (header.ParamFloats <= 0 || bytes.Length != expected)
            throw new ModelFormatException($"{path}: truncated or padded checkpoint: {bytes.Length} bytes, expected {expected} for {header.ParamFloats} floats per buffer");
        var hash = new Fnv64();
        hash.Add(bytes.AsSpan(0, bytes.Length - 8));
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8));
        if (stored != hash.Value)
            throw new ModelFormatException($"{path}: checksum mismatch (stored {stored:x16}, computed {hash.Value:x16}): the checkpoint is corrupt");
        return new LoadedCheckpoint(path, header, bytes, dataStart);
    }

    /// <summary>FNV-1a over little-endian 8-byte words, the tail zero-padded; fast enough for a few hundred MB.</summary>
    private sealed class Fnv64
    {
        private ulong _h = 14695981039346656037UL;
        private readonly byte[] _carry = new byte[8];
        private int _carryLen;
        public void Add(ReadOnlySpan<byte> data)
        {
            while (_carryLen > 0 && data.Length > 0) // complete a word left over from the previous call
            {
                _carry[_carryLen++] = data[0];
                data = data[1..];
                if (_carryLen == 8) { Mix(BinaryPrimitives.ReadUInt64LittleEndian(_carry)); _carryLen = 0; }
            }
            var words = MemoryMarshal.Cast<byte, ulong>(data[..(data.Length / 8 * 8)]);
            foreach (ulong w in words) Mix(BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w));
            foreach (byte b in data[(data.Length / 8 * 8)..]) _carry[_carryLen++] = b;
        }
        private void Mix(ulong w) => _h = (_h ^ w) * 1099511628211UL;
        public ulong Value
        {
            get
            {
                if (_carryLen == 0) return _h;
                Span<byte> last = stackalloc byte[8];
                _carry.AsSpan(0, _carryLen).CopyTo(last);
                return (_h ^ BinaryPrimitives.ReadUInt64LittleEndian(last) ^ (ulong)_carryLen << 56) * 1099511628211UL;
            }
        }
    }
}

/// <summary>A verified checkpoint in memory; <see cref="CopyTo"/> restores its buffers.</summary>
public sealed unsafe class LoadedCheckpoint(string path, CheckpointHeader header, byte[] bytes, long dataStart)
{
    public string Path => path;
    public CheckpointHeader Header => header;

    /// <summary>Buffer 0 = parameters, 1 = Adam m, 2 = Adam v, copied to <paramref name="destination"/>.</summary>
    public void CopyTo(int buffer, float* destination)
    {
        long floats = header.ParamFloats;
        fixed (byte* src = &bytes[dataStart + buffer * floats * 4])
            Buffer.MemoryCopy(src, destination, floats * 4, floats * 4);
    }
}
