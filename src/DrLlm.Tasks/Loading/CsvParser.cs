using System.Text;

namespace DrLlm.Tasks.Loading;

/// <summary>
/// RFC 4180 CSV: comma-separated fields; a field in double quotes may hold commas, line breaks and doubled quotes
/// (<c>""</c>); records end at CRLF or LF outside quotes. Blank lines are skipped. Each record carries the line it
/// starts on, so errors can name file:line even when a quoted field spans lines.
/// </summary>
public static class CsvParser
{
    public static IEnumerable<(int Line, string[] Cells)> Read(TextReader reader, string file)
    {
        var cells = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool inQuotes = false, quotedField = false, afterQuote = false, any = false;

        while (true)
        {
            int c = reader.Read();
            if (inQuotes)
            {
                if (c == -1) throw new TaskFormatException(file, recordLine, null, "unterminated quoted field (a \" is never closed)");
                if (c == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else { inQuotes = false; afterQuote = true; }
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append((char)c);
                }
                continue;
            }

            if (c == ',' ) { EndField(); continue; }
            if (c == '\r' && reader.Peek() == '\n') continue; // CRLF: the LF ends the record
            if (c == '\n' || c == -1)
            {
                if (any || field.Length > 0 || cells.Count > 0)
                {
                    EndField();
                    yield return (recordLine, cells.ToArray());
                }
                cells.Clear();
                any = false;
                if (c == -1) yield break;
                line++;
                recordLine = line;
                continue;
            }
            if (afterQuote)
                throw new TaskFormatException(file, line, null, $"unexpected '{(char)c}' after a closing quote (RFC 4180: a quoted field ends at a comma or line end)");
            if (c == '"' && field.Length == 0 && !quotedField) { inQuotes = true; quotedField = true; any = true; continue; }
            field.Append((char)c);
            any = true;
        }

        void EndField()
        {
            cells.Add(field.ToString());
            field.Clear();
            quotedField = afterQuote = false;
            any = true;
        }
    }

    /// <summary>Writes one record with RFC 4180 quoting where a field needs it (tests and fixtures).</summary>
    public static string Format(IEnumerable<string> fields) =>
        string.Join(",", fields.Select(f => f.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + f.Replace("\"", "\"\"") + "\"" : f));
}
