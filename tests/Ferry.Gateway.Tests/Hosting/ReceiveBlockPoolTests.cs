using System.Buffers;
using Ferry.Gateway.Hosting;

namespace Ferry.Gateway.Tests.Hosting;

public sealed class ReceiveBlockPoolTests
{
    private const int Block = 64 * 1024;

    [Fact]
    public void Receives_get_large_blocks_until_the_budget_is_lent_then_small_ones()
    {
        using var pool = new ReceiveBlockPool(Block, budget: 3 * Block);

        var large = Enumerable.Range(0, 3).Select(_ => pool.Rent(4096)).ToList();
        var small = pool.Rent(4096);

        Assert.All(large, owner => Assert.Equal(Block, owner.Memory.Length));
        Assert.Equal(4096, small.Memory.Length);

        // A large block given back makes room in the budget again.
        large[0].Dispose();
        using var again = pool.Rent(4096);
        Assert.Equal(Block, again.Memory.Length);
    }

    [Fact]
    public void A_request_larger_than_a_small_block_gets_a_large_one_even_past_the_budget()
    {
        using var pool = new ReceiveBlockPool(Block, budget: Block);
        using var first = pool.Rent(4096);

        using var second = pool.Rent(10_000);

        Assert.Equal(Block, second.Memory.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(Block + 1));
        Assert.Equal(Block, pool.MaxBufferSize);
    }

    [Fact]
    public void A_returned_block_is_lent_again_and_a_second_dispose_does_not_return_it_twice()
    {
        using var pool = new ReceiveBlockPool(Block, budget: 4 * Block);
        var owner = pool.Rent(4096);
        var memory = owner.Memory;
        owner.Dispose();
        owner.Dispose();

        using var first = pool.Rent(4096);
        using var second = pool.Rent(4096);

        Assert.True(first.Memory.Span == memory.Span);
        Assert.False(second.Memory.Span == memory.Span);
    }

    [Fact]
    public void Every_pool_the_factory_makes_draws_on_one_budget()
    {
        var factory = new ReceiveBlockPool.Factory(Block, budget: 2 * Block);
        var queue1 = factory.Create();
        var queue2 = factory.Create();

        using var first = queue1.Rent(4096);
        using var second = queue2.Rent(4096);
        using var third = queue1.Rent(4096);

        Assert.Equal(Block, first.Memory.Length);
        Assert.Equal(Block, second.Memory.Length);
        Assert.Equal(4096, third.Memory.Length);
    }
}
