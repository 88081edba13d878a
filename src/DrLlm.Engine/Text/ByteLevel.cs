namespace DrLlm.Engine.Text;

/// <summary>
/// GPT-2's reversible byte → printable character map (openai/gpt-2 encoder.py bytes_to_unicode; Hugging Face
/// tokenizers pre_tokenizers/byte_level.rs): printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100….
/// Byte-level BPE vocabularies store tokens in these characters ("Ġ" is the space byte).
/// </summary>
public static class ByteLevel
{
    public static readonly char[] ByteToChar = BuildByteToChar();
    static readonly short[] CharToByteTable = BuildCharToByte();

    static char[] BuildByteToChar()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    static short[] BuildCharToByte()
    {
        var t = new short[324];
        Array.Fill(t, (short)-1);
        for (int b = 0; b < 256; b++) t[ByteToChar[b]] = (short)b;
        return t;
    }

    /// <summary>The byte a mapped character stands for, or -1 when <paramref name="c"/> is not one of the 256.</summary>
    public static int CharToByte(char c) => c < CharToByteTable.Length ? CharToByteTable[c] : -1;
}
