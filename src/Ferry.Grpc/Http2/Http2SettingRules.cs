using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>The bounds RFC 9113 (section 6.5.2) puts on a peer's SETTINGS values, checked alike by both ends.</summary>
internal static class Http2SettingRules
{
    public const int MinMaxFrameSize = 16_384;
    public const int MaxMaxFrameSize = 16_777_215;

    public static int InitialWindowSize(uint value) => value <= int.MaxValue
        ? (int)value
        : throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE {value} is above 2^31-1.");

    public static int MaxFrameSize(uint value) => value is >= MinMaxFrameSize and <= MaxMaxFrameSize
        ? (int)value
        : throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} is outside {MinMaxFrameSize}..{MaxMaxFrameSize}.");

    /// <summary>An open stream's send window after the initial window changed by <paramref name="delta"/>: it may go negative (section 6.9.2), not above 2^31-1.</summary>
    public static long AdjustedWindow(long window, int delta) => window + delta <= int.MaxValue
        ? window + delta
        : throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE made a stream window exceed 2^31-1.");
}
