namespace VqCodec.Quantization;

/// <summary>
/// Learning vector quantization, LVQ1 (Kohonen): labelled prototypes; for each training vector the
/// nearest prototype moves toward it by α(x − w) when their classes agree and away by α(x − w) when
/// they differ; α decays linearly to zero. As a quantizer the code is the prototype index.
/// </summary>
public sealed class LvqClassifier : CodebookQuantizer
{
    private int[] _labels = [];

    /// <summary>Creates an LVQ1 model with <paramref name="prototypesPerClass"/> prototypes per class.</summary>
    public LvqClassifier(int classes, int prototypesPerClass, double learningRate = 0.05, int epochs = 20)
        : base(classes * prototypesPerClass)
    {
        Classes = classes;
        PrototypesPerClass = prototypesPerClass;
        LearningRate = learningRate;
        Epochs = epochs;
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Prototypes per class.</summary>
    public int PrototypesPerClass { get; }

    /// <summary>Initial α.</summary>
    public double LearningRate { get; }

    /// <summary>Passes over the data.</summary>
    public int Epochs { get; }

    /// <summary>Class of each prototype.</summary>
    public IReadOnlyList<int> PrototypeLabels => _labels;

    /// <summary>Initialises prototypes by per-class k-means, then runs LVQ1.</summary>
    public void FitSupervised(Matrix data, int[] labels, int seed)
    {
        CheckData(data, 1);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != data.Rows || labels.Any(l => l < 0 || l >= Classes))
        {
            throw new ArgumentException("one label in [0, classes) per vector is required");
        }

        var protos = new Matrix(CodebookSize, data.Cols);
        _labels = new int[CodebookSize];
        for (int c = 0; c < Classes; c++)
        {
            var rows = Enumerable.Range(0, data.Rows).Where(i => labels[i] == c).ToList();
            if (rows.Count < PrototypesPerClass)
            {
                throw new ArgumentException($"class {c} has fewer vectors than prototypes");
            }

            Matrix centers = KMeansClustering.Fit(data.SelectRows(rows), PrototypesPerClass, seed + c, 20);
            for (int p = 0; p < PrototypesPerClass; p++)
            {
                centers.Row(p).CopyTo(protos.Row((c * PrototypesPerClass) + p));
                _labels[(c * PrototypesPerClass) + p] = c;
            }
        }

        SetCodebook(protos);
        var rng = new Random(seed);
        int total = Epochs * data.Rows, t = 0;
        int[] order = Enumerable.Range(0, data.Rows).ToArray();
        for (int e = 0; e < Epochs; e++)
        {
            rng.Shuffle(order);
            foreach (int i in order)
            {
                double alpha = LearningRate * (1 - ((double)t++ / total));
                Step(data.Row(i), labels[i], alpha);
            }
        }
    }

    /// <summary>One LVQ1 update with rate α; returns the winning prototype.</summary>
    public int Step(ReadOnlySpan<float> x, int label, double alpha)
    {
        int w = VectorMath.Nearest(Codebook, x, out _);
        double sign = _labels[w] == label ? 1 : -1;
        Span<float> p = Codebook.Row(w);
        for (int j = 0; j < p.Length; j++)
        {
            p[j] += (float)(sign * alpha * (x[j] - p[j]));
        }

        return w;
    }

    /// <summary>Sets prototypes and their labels directly.</summary>
    public void SetPrototypes(Matrix prototypes, int[] labels)
    {
        SetCodebook(prototypes);
        _labels = (int[])labels.Clone();
    }

    /// <summary>Class of the nearest prototype.</summary>
    public int Predict(ReadOnlySpan<float> x) => _labels[VectorMath.Nearest(Codebook, x, out _)];
}
