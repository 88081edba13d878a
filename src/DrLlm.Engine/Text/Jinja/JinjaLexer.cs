using System.Globalization;
using System.Text;

namespace DrLlm.Engine.Text.Jinja;

/// <summary>A piece of template source: literal text, an output tag {{ … }} or a statement tag {% … %}.</summary>
internal enum PartKind { Text, Output, Statement }

internal sealed record Part(PartKind Kind, string Body, int Line);

internal enum TokenKind { Name, String, Number, Operator, End }

internal readonly record struct Token(TokenKind Kind, string Text, object? Value, int Line);

/// <summary>
/// Cuts a Jinja template into parts and tag bodies into tokens. Whitespace control follows Jinja's lexer with the
/// settings transformers renders chat templates with (chat_template_utils.py: trim_blocks=True, lstrip_blocks=True):
/// "{%-"/"-%}" strip all whitespace on that side; a block or comment tag also drops the newline right after it and
/// the spaces/tabs before it on its line.
/// </summary>
internal static class JinjaLexer
{
    public static List<Part> Split(string src)
    {
        var parts = new List<Part>();
        int pos = 0, line = 1;
        bool stripNextLeading = false, trimNextNewline = false;
        while (pos <= src.Length)
        {
            int open = FindOpen(src, pos);
            string text = src[pos..(open < 0 ? src.Length : open)];
            if (stripNextLeading) text = text.TrimStart();
            else if (trimNextNewline) text = text.StartsWith("\r\n") ? text[2..] : text.StartsWith('\n') ? text[1..] : text;
            if (open < 0) { Add(PartKind.Text, text); break; }

            char kind = src[open + 1];
            string close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int bodyStart = open + 2;
            char modifier = bodyStart < src.Length ? src[bodyStart] : ' ';
            if (modifier is '-' or '+') bodyStart++;
            if (modifier == '-') text = text.TrimEnd();
            else if (kind != '{' && modifier != '+') text = LstripBlock(text);
            Add(PartKind.Text, text);

            int end = kind == '#' ? src.IndexOf(close, bodyStart, StringComparison.Ordinal) : FindClose(src, bodyStart, close);
            if (end < 0) throw new JinjaException($"line {line}: unclosed '{src.Substring(open, 2)}'");
            bool rightStrip = end > bodyStart && src[end - 1] == '-';
            string body = src[bodyStart..(rightStrip ? end - 1 : end)];
            if (kind == '{') Add(PartKind.Output, body);
            else if (kind == '%') Add(PartKind.Statement, body);
            else line += body.Count(c => c == '\n');
            stripNextLeading = rightStrip;
            trimNextNewline = kind != '{' && !(end > bodyStart && src[end - 1] == '+');
            pos = end + 2;
        }
        return parts;

        void Add(PartKind k, string body)
        {
            if (k != PartKind.Text || body.Length > 0) parts.Add(new Part(k, body, line));
            line += body.Count(c => c == '\n');
        }
    }

    static int FindOpen(string src, int from)
    {
        for (int i = src.IndexOf('{', from); i >= 0 && i + 1 < src.Length; i = src.IndexOf('{', i + 1))
            if (src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>The closing delimiter, skipping string literals that contain it.</summary>
    static int FindClose(string src, int from, string close)
    {
        for (int i = from; i + 1 < src.Length; i++)
        {
            char c = src[i];
            if (c is '\'' or '"')
            {
                for (i++; i < src.Length && src[i] != c; i++) if (src[i] == '\\') i++;
                continue;
            }
            if (c == close[0] && src[i + 1] == close[1]) return i;
        }
        return -1;
    }

    /// <summary>lstrip_blocks: spaces and tabs between the last newline and a block tag go.</summary>
    static string LstripBlock(string text)
    {
        int i = text.Length;
        while (i > 0 && text[i - 1] is ' ' or '\t') i--;
        return i == 0 || text[i - 1] == '\n' ? text[..i] : text;
    }

    static readonly string[] Operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="];

    public static List<Token> Tokenize(string body, int line)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < body.Length)
        {
            char c = body[i];
            if (char.IsWhiteSpace(c)) { if (c == '\n') line++; i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                int s = i;
                while (i < body.Length && (char.IsLetterOrDigit(body[i]) || body[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, body[s..i], null, line));
            }
            else if (char.IsDigit(c))
            {
                int s = i;
                while (i < body.Length && (char.IsDigit(body[i]) || (body[i] == '.' && i + 1 < body.Length && char.IsDigit(body[i + 1])))) i++;
                string n = body[s..i];
                tokens.Add(new Token(TokenKind.Number, n, n.Contains('.') ? (object)double.Parse(n, CultureInfo.InvariantCulture) : long.Parse(n, CultureInfo.InvariantCulture), line));
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                for (i++; i < body.Length && body[i] != c; i++)
                {
                    if (body[i] != '\\' || i + 1 >= body.Length) { sb.Append(body[i]); continue; }
                    char e = body[++i];
                    sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
                }
                if (i >= body.Length) throw new JinjaException($"line {line}: unterminated string");
                i++;
                tokens.Add(new Token(TokenKind.String, sb.ToString(), sb.ToString(), line));
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(body, i, o, 0, o.Length) == 0)
                    ?? throw new JinjaException($"line {line}: unexpected character '{c}'");
                tokens.Add(new Token(TokenKind.Operator, op, null, line));
                i += op.Length;
            }
        }
        tokens.Add(new Token(TokenKind.End, "", null, line));
        return tokens;
    }
}

/// <summary>A template that cannot be parsed or rendered; the message names the line or construct.</summary>
public sealed class JinjaException(string message) : Exception(message);
