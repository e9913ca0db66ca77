using System.Globalization;
using System.Text;

namespace VqCodec.Tools.Reporting;

/// <summary>Minimal RFC 4180 CSV writing with invariant culture.</summary>
internal static class Csv
{
    /// <summary>A fraction as a signed percentage with one decimal ("+12.3 %"), or "n/a" when not finite.</summary>
    public static string Percent(double fraction) =>
        double.IsFinite(fraction) ? (fraction * 100).ToString("+0.0;-0.0", System.Globalization.CultureInfo.InvariantCulture) + " %" : "n/a";

    public static string Format(IEnumerable<string> header, IEnumerable<IEnumerable<object?>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', header.Select(Escape)));
        foreach (IEnumerable<object?> row in rows)
        {
            sb.AppendLine(string.Join(',', row.Select(v => Escape(v switch
            {
                null => string.Empty,
                double d => d.ToString("G6", CultureInfo.InvariantCulture),
                float f => f.ToString("G6", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => v.ToString() ?? string.Empty,
            }))));
        }

        return sb.ToString();
    }

    private static string Escape(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
