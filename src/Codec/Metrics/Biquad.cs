namespace VqCodec.Codec.Metrics;

/// <summary>A direct-form I biquad (a[0] = 1), the filter section of the loudness K-weighting and the pitch tracker's high-pass.</summary>
internal sealed class Biquad(double[] b, double[] a)
{
    private double _x1;
    private double _x2;
    private double _y1;
    private double _y2;

    public double Next(double x)
    {
        double y = (b[0] * x) + (b[1] * _x1) + (b[2] * _x2) - (a[1] * _y1) - (a[2] * _y2);
        (_x2, _x1, _y2, _y1) = (_x1, x, _y1, y);
        return y;
    }
}
