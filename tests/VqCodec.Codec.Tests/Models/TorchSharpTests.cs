using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Tests;

public class TorchSharpTests
{
    [Fact]
    public void NativeLibraryLoadsAndAForwardBackwardPassTrains()
    {
        torch.manual_seed(1);
        using var conv = nn.Conv2d(3, 4, 3, padding: 1);
        using var opt = torch.optim.Adam(conv.parameters(), 0.05);
        using var x = torch.rand(2, 3, 8, 8);
        using var target = torch.zeros(2, 4, 8, 8);
        float first = 0, last = 0;
        for (int i = 0; i < 20; i++)
        {
            using var scope = NewDisposeScope();
            Tensor loss = (conv.forward(x) - target).square().mean();
            opt.zero_grad();
            loss.backward();
            opt.step();
            if (i == 0)
            {
                first = loss.item<float>();
            }

            last = loss.item<float>();
        }

        Assert.True(conv.weight!.grad is not null);
        Assert.True(last < first * 0.5f, $"loss {first} -> {last}");
    }
}
