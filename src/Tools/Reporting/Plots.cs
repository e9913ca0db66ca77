namespace VqCodec.Tools.Reporting;

/// <summary>Rate-distortion plots with ScottPlot.</summary>
internal static class Plots
{
    public static void Curves(string path, string title, string xLabel, string yLabel, IEnumerable<(string Name, double[] X, double[] Y)> series, double? xMax = null)
    {
        var plt = new ScottPlot.Plot();
        foreach ((string name, double[] x, double[] y) in series)
        {
            if (x.Length == 0)
            {
                continue;
            }

            var s = plt.Add.Scatter(x, y);
            s.LegendText = name;
            s.LineWidth = 2;
            s.MarkerSize = 6;
        }

        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        plt.ShowLegend(ScottPlot.Alignment.LowerRight);
        if (xMax is double max)
        {
            plt.Axes.SetLimitsX(0, max);
        }

        plt.SavePng(path, 900, 600);
    }
}
