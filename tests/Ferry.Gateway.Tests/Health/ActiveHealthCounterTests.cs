using Ferry.Gateway.Health;

namespace Ferry.Gateway.Tests.Health;

public sealed class ActiveHealthCounterTests
{
    [Fact]
    public void IsHealthyUntilTheFirstVerdict()
    {
        var counter = new ActiveHealthCounter(healthyThreshold: 1, unhealthyThreshold: 2);

        Assert.True(counter.Healthy);
        Assert.False(counter.Record(passed: true));
        Assert.True(counter.Healthy);
    }

    [Fact]
    public void GoesUnhealthyAfterUnhealthyThresholdFailuresInARow()
    {
        var counter = new ActiveHealthCounter(healthyThreshold: 1, unhealthyThreshold: 3);

        Assert.False(counter.Record(passed: false));
        Assert.False(counter.Record(passed: false));
        Assert.True(counter.Healthy);
        Assert.True(counter.Record(passed: false));
        Assert.False(counter.Healthy);
        Assert.Equal(3, counter.ConsecutiveFailures);
        Assert.False(counter.Record(passed: false));
    }

    [Fact]
    public void APassBetweenFailuresStartsTheCountAgain()
    {
        var counter = new ActiveHealthCounter(healthyThreshold: 1, unhealthyThreshold: 2);

        counter.Record(passed: false);
        counter.Record(passed: true);
        Assert.False(counter.Record(passed: false));
        Assert.True(counter.Healthy);
        Assert.True(counter.Record(passed: false));
        Assert.False(counter.Healthy);
    }

    [Fact]
    public void ComesBackAfterHealthyThresholdPassesInARow()
    {
        var counter = new ActiveHealthCounter(healthyThreshold: 2, unhealthyThreshold: 1);
        Assert.True(counter.Record(passed: false));

        Assert.False(counter.Record(passed: true));
        Assert.False(counter.Record(passed: false));
        Assert.False(counter.Record(passed: true));
        Assert.False(counter.Healthy);
        Assert.True(counter.Record(passed: true));
        Assert.True(counter.Healthy);
        Assert.Equal(2, counter.ConsecutivePasses);
    }
}
