using System.Xml.Linq;

namespace DrLlm.Dashboard.Tests;

/// <summary>The server-rendered SVG: well-formed XML, text from the database escaped, numbers where the data puts them.</summary>
public sealed class ChartTests
{
    private static XElement Parse(Microsoft.AspNetCore.Components.MarkupString svg) => XElement.Parse(svg.Value);
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Every_chart_is_well_formed_svg_and_escapes_labels()
    {
        const string evil = "<script>alert('x')</script> & \"q\"";
        var acc = Parse(Charts.AccuracyVsLayers([new AccuracyPoint(evil, 8, 0.5, 6.5, 0.75)]));
        var progress = Parse(Charts.SearchProgress([new ProgressRow(evil, 3, 1, 1, 5, 40, 500)]));
        var loss = Parse(Charts.LossCurves([new LossCurve(1, evil, [
            new() { Epoch = 1, TrainLoss = 1.0, ValidationLoss = 1.1 }, new() { Epoch = 2, TrainLoss = 0.5, ValidationLoss = 0.9 }])]));
        var freq = Parse(Charts.ActionFrequencies(DashboardData.Count(evil, [[0, 1, 2], [1, 1, 2]])));
        foreach (var svg in new[] { acc, progress, loss, freq })
        {
            Assert.Equal(Svg + "svg", svg.Name);
            Assert.DoesNotContain(svg.Descendants(), e => e.Name.LocalName == "script");
            Assert.Contains(svg.Descendants(), e => e.Value.Contains(evil));
        }
        // the routed point sits left of (fewer layers) and above (higher accuracy) the baseline point
        var b = acc.Descendants(Svg + "circle").First(c => (string?)c.Attribute("class") == "baseline");
        var r = acc.Descendants(Svg + "circle").First(c => (string?)c.Attribute("class") == "routed");
        Assert.True((double)r.Attribute("cx")! < (double)b.Attribute("cx")!);
        Assert.True((double)r.Attribute("cy")! < (double)b.Attribute("cy")!);
        // block 0: one skip, one execute; block 2: two repeats
        Assert.Equal(2, freq.Descendants(Svg + "rect").Count(e => ((string?)e.Attribute("class"))?.StartsWith("action-", StringComparison.Ordinal) == true
                                                                   && e.Value.StartsWith("block 0", StringComparison.Ordinal)));
        Assert.Contains(freq.Descendants(Svg + "title"), t => t.Value == "block 2: repeat 2/2");
        Assert.Equal(2, loss.Descendants(Svg + "polyline").Count());
    }

    [Fact]
    public void Empty_data_says_so_instead_of_drawing_nothing()
    {
        Assert.Contains("no finished evaluation yet", Charts.AccuracyVsLayers([]).Value);
        Assert.Contains("no training epochs yet", Charts.LossCurves([]).Value);
        Assert.Contains("no search trees yet", Charts.SearchProgress([]).Value);
    }
}
