using System.Buffers;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// The read loop: the client preface, then whole frames checked against RFC 9113 and applied one batch (one read) at
/// a time. A broken frame is a connection error (GOAWAY, then close); a bad request or a misused stream resets only
/// that stream. Answers to the batch's frames leave in one write, and the handler hears of the batch's new requests
/// after it, with the body bytes that came along already readable.
/// </summary>
internal sealed partial class Http2ServerConnection
{
    private readonly List<Http2ServerStream> _arrived = [];
    private bool _settingsReceived;
    // The batch queued output; the writer is signalled once at its end.
    private bool _signalAfterBatch;
    private Http2EventRate _emptyFrames;

    // Frames that carry nothing and change nothing cost a read each: more than this a second is a flood (CVE-2019-9518).

    private async Task ReadLoopAsync()
    {
        try
        {
            if (!await ReadPrefaceAsync().ConfigureAwait(false))
            {
                return;
            }

            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled && Volatile.Read(ref _closed) is not null)
                {
                    return;
                }

                if (_options.KeepAliveTime is not null)
                {
                    Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                }

                var buffer = result.Buffer;
                using (Http2ReadBatch.Open())
                {
                    try
                    {
                        while (Http2FramePayload.TryReadFrame(ref buffer, _options.MaxFrameSize, out var header, out var payload))
                        {
                            ProcessFrame(header, payload);
                        }
                    }
                    finally
                    {
                        _input.AdvanceTo(buffer.Start, buffer.End);
                    }

                    EndBatch();
                }
                if (result.IsCompleted)
                {
                    Close(new IOException(buffer.IsEmpty ? "The client closed the connection." : "The client closed the connection in the middle of a frame."), goAway: null);
                    return;
                }
            }
        }
        catch (Http2ConnectionException ex)
        {
            Close(ex, ex.ErrorCode, ex.Message);
        }
        catch (HpackDecodingException ex)
        {
            Close(new Http2ConnectionException(Http2ErrorCode.CompressionError, $"Bad HPACK data from the client: {ex.Message}"), Http2ErrorCode.CompressionError, "bad HPACK data");
        }
        catch (Exception ex)
        {
            Close(ex is IOException ? ex : new IOException("Reading from the client failed.", ex), goAway: null);
        }
        finally
        {
            // Requests of a batch cut short by the connection's end never reach the handler.
            foreach (var stream in _arrived)
            {
                stream.Complete();
            }

            _arrived.Clear();
        }
    }

    /// <summary>Reads the 24-byte client preface; false (and the connection closed) if something else came.</summary>
    private async ValueTask<bool> ReadPrefaceAsync()
    {
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                // Only closing cancels a read; should anything else, the preface is still to come.
                if (Volatile.Read(ref _closed) is not null)
                {
                    return false;
                }

                _input.AdvanceTo(buffer.Start);
                continue;
            }

            var match = MatchPreface(buffer);
            if (match > 0)
            {
                // With the client's first frames in the same read, our SETTINGS leave with their acknowledgement at
                // the end of the batch; otherwise now, for a client that waits for them before it goes on.
                var alone = buffer.Length == Http2FrameWriter.ClientPreface.Length;
                _input.AdvanceTo(buffer.GetPosition(Http2FrameWriter.ClientPreface.Length));
                bool signal;
                lock (_sync)
                {
                    if (_closed is not null)
                    {
                        return false;
                    }

                    QueueServerPrefaceLocked();
                    signal = ScheduleWrite();
                }

                if (alone && signal)
                {
                    _writeSignal.Set();
                }
                else
                {
                    _signalAfterBatch |= signal;
                }

                return true;
            }

            if (match < 0 || result.IsCompleted)
            {
                // RFC 9113 section 3.4: a peer that sends no preface does not speak HTTP/2, so no GOAWAY is owed.
                var reason = match == 0 ? "The client closed the connection before its HTTP/2 preface."
                    : LooksLikeHttp1(buffer) ? "The client spoke HTTP/1.x; this endpoint serves HTTP/2 only (prior knowledge or ALPN h2)."
                    : "The client did not send the HTTP/2 connection preface.";
                _input.AdvanceTo(buffer.Start, buffer.End);
                Close(new IOException(reason), goAway: null);
                return false;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>1 if <paramref name="buffer"/> starts with the whole preface, 0 if with a part of it, -1 if not.</summary>
    private static int MatchPreface(in ReadOnlySequence<byte> buffer)
    {
        var preface = Http2FrameWriter.ClientPreface;
        Span<byte> bytes = stackalloc byte[preface.Length];
        var length = (int)Math.Min(buffer.Length, preface.Length);
        buffer.Slice(0, length).CopyTo(bytes);
        if (!bytes[..length].SequenceEqual(preface[..length]))
        {
            return -1;
        }

        return length == preface.Length ? 1 : 0;
    }

    /// <summary>An HTTP/1.x request line starts with an uppercase method token and a space.</summary>
    private static bool LooksLikeHttp1(in ReadOnlySequence<byte> buffer)
    {
        var first = buffer.FirstSpan;
        var space = first.IndexOf((byte)' ');
        return space > 0 && !first[..space].ContainsAnyExceptInRange((byte)'A', (byte)'Z');
    }

    private void ProcessFrame(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_headerBlockStreamId != 0 && header.Type != Http2FrameType.Continuation)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header.Type} frame while a header block awaited CONTINUATION.");
        }

        if (!_settingsReceived && (header.Type != Http2FrameType.Settings || header.HasFlag(Http2FrameFlags.Ack)))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"The client's first frame was {header.Type}, not SETTINGS.");
        }

        switch (header.Type)
        {
            case Http2FrameType.Data:
                OnData(header, payload);
                break;
            case Http2FrameType.Headers:
                OnHeaders(header, payload);
                break;
            case Http2FrameType.Continuation:
                OnContinuation(header, payload);
                break;
            case Http2FrameType.RstStream:
                OnRstStream(header, payload);
                break;
            case Http2FrameType.Settings:
                OnSettings(header, payload);
                break;
            case Http2FrameType.Ping:
                OnPing(header, payload);
                break;
            case Http2FrameType.GoAway:
                OnGoAway(header);
                break;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdate(header, payload);
                break;
            case Http2FrameType.Priority:
                OnPriority(header, payload);
                break;
            case Http2FrameType.PushPromise:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE from a client.");
            default:
                // Unknown frame types are ignored (RFC 9113 section 5.5).
                break;
        }
    }

    /// <summary>
    /// After a batch of frames: the writer takes the answers, and the handler gets the new requests, outside the lock. A request reset within its own batch never reaches it.
    /// </summary>
    private void EndBatch()
    {
        bool signal;
        lock (_sync)
        {
            signal = _signalAfterBatch;
            _signalAfterBatch = false;
        }

        if (signal)
        {
            // Answers to the client's frames leave with the responses this read batch may queue.
            Http2ReadBatch.Wake(_writeSignal, inline: false);
        }

        foreach (var stream in _arrived)
        {
            if (stream.IsClosed)
            {
                stream.Complete();
                continue;
            }

            try
            {
                _handler.OnRequest(stream);
            }
            catch (Exception)
            {
                // A handler failing on one request must not cost the connection its others. The handler may have
                // started work that still holds the stream, so its body stays with it until it calls Complete.
                stream.Reset(Http2ErrorCode.InternalError);
            }
        }

        _arrived.Clear();
    }

    private void OnRstStream(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStream(header);
        Http2FramePayload.RequireLength(header, 4);
        if ((header.StreamId & 1) == 1 && header.StreamId > _highestStreamId)
        {
            // RFC 9113 makes a reset of an idle stream a connection error, but gRPC core (grpcio and the other C-core
            // clients) sends one for a call it cancels before its HEADERS went out (grpc/grpc#19655): closing the
            // connection would fail every other call on it. Like nginx, ignore it; it costs nothing, and a flood of
            // them is still refused as frames that carry nothing.
            CountEmptyFrame(header);
            return;
        }

        RequireNotIdle(header);
        var code = (Http2ErrorCode)Http2FramePayload.ReadUInt32(payload);
        lock (_sync)
        {
            // A stream already closed here was answered or reset by us meanwhile: nothing to do, unless it waited for
            // the end of its request.
            EndDrainLocked(header.StreamId);
            if (_streams.TryGetValue(header.StreamId, out var stream))
            {
                CountResetLocked();
                CloseStreamLocked(stream, new Http2StreamException(code, false, $"The client reset the stream ({Name(code)}).") { ResetByPeer = true }, notify: true);
            }
        }
    }

    /// <summary>
    /// One more stream reset by the client or for the client's error (under the lock): many a second is the rapid
    /// reset attack (CVE-2023-44487), which makes a server start work that is cancelled at once.
    /// </summary>
    private void CountResetLocked()
    {
        if (_resets.Exceeds(_time, _options.MaxResetsPerSecond))
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"More than {_options.MaxResetsPerSecond} stream resets within a second.");
        }
    }

    private void OnSettings(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS frame on a stream.");
        }

        if (header.HasFlag(Http2FrameFlags.Ack))
        {
            if (header.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS acknowledgement with a payload.");
            }

            lock (_sync)
            {
                // The client now counts its stream windows from our INITIAL_WINDOW_SIZE.
                _receiveWindowSlack = 0;
            }

            return;
        }

        if (header.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS frame whose length is not a multiple of 6.");
        }

        lock (_sync)
        {
            var reader = new SequenceReader<byte>(payload);
            while (reader.TryReadBigEndian(out short id) && reader.TryReadBigEndian(out int value))
            {
                ApplySetting((Http2SettingId)(ushort)id, (uint)value);
            }

            Http2FrameWriter.WriteSettingsAck(_pending);
            AddControlBacklogLocked(Http2FrameHeader.Size);
            _signalAfterBatch |= ScheduleWrite();
            _sendTurns.WakeWindowBlocked();
            GrantCapacityLocked();
            if (!_settingsReceived)
            {
                _settingsReceived = true;
                _handshakeTimer?.Dispose();
            }
        }
    }

    private void ApplySetting(Http2SettingId id, uint value)
    {
        switch (id)
        {
            case Http2SettingId.HeaderTableSize:
                _encoder.SetPeerMaxTableSize((int)Math.Min(value, int.MaxValue));
                break;
            case Http2SettingId.EnablePush:
                if (value > 1)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_ENABLE_PUSH = {value}.");
                }

                break;
            case Http2SettingId.InitialWindowSize:
                // The change applies to every open stream's window.
                var initialWindow = Http2SettingRules.InitialWindowSize(value);
                var delta = initialWindow - _peerInitialWindow;
                _peerInitialWindow = initialWindow;
                foreach (var stream in _streams.Values)
                {
                    stream.SendWindow = Http2SettingRules.AdjustedWindow(stream.SendWindow, delta);
                }

                break;
            case Http2SettingId.MaxFrameSize:
                _peerMaxFrameSize = Http2SettingRules.MaxFrameSize(value);
                break;
        }

        // Other settings (MAX_CONCURRENT_STREAMS limits pushes, which this server never makes) and unknown ones are ignored.
    }

    private void OnPing(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PING frame on a stream.");
        }

        Http2FramePayload.RequireLength(header, 8);
        var value = Http2FramePayload.ReadInt64(payload);
        if (header.HasFlag(Http2FrameFlags.Ack))
        {
            if (value == ShutdownPingPayload)
            {
                SendFinalGoAway();
                return;
            }

            lock (_sync)
            {
                if (value == KeepAlivePingPayload)
                {
                    _pingSentAt = 0;
                }
                else if (value == Http2WindowTuner.PingPayload && _windowTuner?.OnPingAck() == true && _closed is null
                    && _windowTuner.GrowConnection(ref _connectionWindow, ref _receiveWindow) is var increment and > 0)
                {
                    Http2FrameWriter.WriteWindowUpdate(_pending, 0, increment);
                    _signalAfterBatch |= ScheduleWrite();
                }
            }

            return;
        }

        lock (_sync)
        {
            Http2FrameWriter.WritePing(_pending, value, ack: true);
            AddControlBacklogLocked(Http2FrameHeader.Size + 8);
            _signalAfterBatch |= ScheduleWrite();
        }
    }

    private void OnGoAway(Http2FrameHeader header)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "GOAWAY frame on a stream.");
        }

        if (header.Length < 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "GOAWAY frame shorter than 8 bytes.");
        }

        // The client opens no more streams; the ones it has finish, then the connection closes. (Its last stream id
        // names streams this server would have initiated, of which there are none.)
        lock (_sync)
        {
            _draining = true;
            CloseIfDrainedLocked();
        }
    }

    private void OnWindowUpdate(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        Http2FramePayload.RequireLength(header, 4);
        var increment = (int)(Http2FramePayload.ReadUInt32(payload) & 0x7FFF_FFFF);
        if (header.StreamId == 0)
        {
            if (increment == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "WINDOW_UPDATE with an increment of 0 on the connection.");
            }

            lock (_sync)
            {
                _sendWindow += increment;
                if (_sendWindow > int.MaxValue)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "WINDOW_UPDATE made the connection window exceed 2^31-1.");
                }

                GrantCapacityLocked();
            }

            return;
        }

        RequireNotIdle(header);
        lock (_sync)
        {
            if (!_streams.TryGetValue(header.StreamId, out var stream))
            {
                return;
            }

            if (increment == 0)
            {
                StreamErrorLocked(stream, Http2ErrorCode.ProtocolError, "WINDOW_UPDATE with an increment of 0");
            }
            else if ((stream.SendWindow += increment) > int.MaxValue)
            {
                StreamErrorLocked(stream, Http2ErrorCode.FlowControlError, "WINDOW_UPDATE made the stream window exceed 2^31-1");
            }
            else
            {
                _sendTurns.WakeIfWindowBlocked(stream);
            }
        }
    }

    private void OnPriority(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStream(header);
        // Priorities are accepted and ignored (RFC 9113 deprecates them); only the frame's form is checked.
        string? problem = null;
        var code = Http2ErrorCode.ProtocolError;
        if (header.Length != 5)
        {
            problem = "PRIORITY frame whose length is not 5";
            code = Http2ErrorCode.FrameSizeError;
        }
        else if ((Http2FramePayload.ReadUInt32(payload) & 0x7FFF_FFFF) == header.StreamId)
        {
            problem = "a stream depending on itself";
        }

        if (problem is null)
        {
            return;
        }

        lock (_sync)
        {
            if (_streams.TryGetValue(header.StreamId, out var stream))
            {
                StreamErrorLocked(stream, code, problem);
            }
            else
            {
                RefuseStreamLocked(header.StreamId, code);
            }
        }
    }

    /// <summary>
    /// The client broke the protocol on one stream (under the lock): the stream is reset with <paramref name="code"/>,
    /// the handler (if it has it) sees it aborted, and the connection carries on.
    /// </summary>
    private void StreamErrorLocked(Http2ServerStream stream, Http2ErrorCode code, string problem)
    {
        CountResetLocked();
        _signalAfterBatch |= WriteRstStreamLocked(stream.Id, code);
        AddControlBacklogLocked(Http2FrameHeader.Size + 4);
        CloseStreamLocked(stream, new Http2StreamException(code, false, $"The client broke the protocol on the stream: {problem}."), notify: true);
    }

    /// <summary>Resets a stream that has no state here, e.g. a malformed request (under the lock).</summary>
    private void RefuseStreamLocked(int streamId, Http2ErrorCode code)
    {
        if (code != Http2ErrorCode.RefusedStream)
        {
            CountResetLocked();
        }

        _signalAfterBatch |= WriteRstStreamLocked(streamId, code);
        AddControlBacklogLocked(Http2FrameHeader.Size + 4);
    }

    private static void RequireStream(Http2FrameHeader header)
    {
        if (header.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header.Type} frame on stream 0.");
        }
    }

    /// <summary>
    /// Frames other than HEADERS and PRIORITY on a stream the client never opened are a connection error (section
    /// 5.1). Any odd id up to the highest opened one counts as opened: it is open, or closed (section 5.1.1).
    /// </summary>
    private void RequireNotIdle(Http2FrameHeader header)
    {
        if ((header.StreamId & 1) == 0 || header.StreamId > _highestStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header.Type} frame on stream {header.StreamId}, which the client never opened.");
        }
    }

    /// <summary>Counts a frame that carried nothing (an empty DATA or CONTINUATION that ends nothing, a reset of a stream never opened).</summary>
    private void CountEmptyFrame(Http2FrameHeader header)
    {
        if (_emptyFrames.Exceeds(_time, _options.MaxEmptyFramesPerSecond))
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"More than {_options.MaxEmptyFramesPerSecond} empty {header.Type} frames within a second.");
        }
    }
}
