using Google.Protobuf;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// Does what each request's <c>action</c> says, so one service covers the server-side faults:
/// <list type="bullet">
/// <item><c>echo</c>: reply with the payload (or <c>size</c> bytes).</item>
/// <item><c>status</c>: end with <c>code</c> and <c>message</c> (OK through <see cref="ServerCallContext.Status"/>).</item>
/// <item><c>throw</c>: throw a plain exception before writing anything.</item>
/// <item><c>metadata</c>: echo the <c>x-test-*</c> request headers as response headers and as trailers.</item>
/// <item><c>wait</c>: signal <see cref="FaultProbe.Started"/>, then wait for the call to be cancelled.</item>
/// <item><c>headers-then-release</c>: send response headers, signal, wait for <see cref="FaultProbe.Release"/>, reply.</item>
/// <item><c>many</c> (server streaming): <c>count</c> replies of <c>size</c> bytes.</item>
/// <item><c>early</c> (client streaming): reply after the first message without reading the rest.</item>
/// </list>
/// </summary>
public sealed class FaultServiceImpl(FaultProbe probe) : FaultService.FaultServiceBase
{
    private static readonly TimeSpan HandlerTimeout = TimeSpan.FromSeconds(30);

    public override async Task<FaultReply> Unary(FaultRequest request, ServerCallContext context)
    {
        try
        {
            return await RespondAsync(request, context);
        }
        catch (Exception ex)
        {
            probe.Finished.TrySetResult(ex);
            throw;
        }
        finally
        {
            probe.Finished.TrySetResult(null);
        }
    }

    public override async Task ServerStream(FaultRequest request, IServerStreamWriter<FaultReply> responseStream, ServerCallContext context)
    {
        try
        {
            if (request.Action == "many")
            {
                for (var i = 0; i < request.Count; i++)
                {
                    await responseStream.WriteAsync(new FaultReply { Sequence = i, Payload = ByteString.CopyFrom(new byte[request.Size]) });
                }

                return;
            }

            await responseStream.WriteAsync(await RespondAsync(request, context));
        }
        finally
        {
            probe.Finished.TrySetResult(null);
        }
    }

    public override async Task<FaultReply> ClientStream(IAsyncStreamReader<FaultRequest> requestStream, ServerCallContext context)
    {
        try
        {
            var count = 0;
            var bytes = 0;
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                probe.CountMessage();
                count++;
                bytes += requestStream.Current.Payload.Length;
                if (requestStream.Current.Action == "early")
                {
                    return new FaultReply { Sequence = count, Text = "ended early" };
                }

                if (requestStream.Current.Action is "wait" or "status")
                {
                    return await RespondAsync(requestStream.Current, context);
                }
            }

            return new FaultReply { Sequence = count, Text = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
        finally
        {
            probe.Finished.TrySetResult(null);
        }
    }

    public override async Task Duplex(IAsyncStreamReader<FaultRequest> requestStream, IServerStreamWriter<FaultReply> responseStream, ServerCallContext context)
    {
        try
        {
            if (context.RequestHeaders.GetValue("x-speak-first") is { } greeting)
            {
                // A server that speaks first: its reply does not wait for the client's first message.
                await responseStream.WriteAsync(new FaultReply { Text = greeting });
            }

            while (await requestStream.MoveNext(context.CancellationToken))
            {
                probe.CountMessage();
                var request = requestStream.Current;
                await responseStream.WriteAsync(await RespondAsync(request, context));
            }
        }
        catch (Exception ex)
        {
            probe.Finished.TrySetResult(ex);
            throw;
        }
        finally
        {
            probe.Finished.TrySetResult(null);
        }
    }

    private async Task<FaultReply> RespondAsync(FaultRequest request, ServerCallContext context)
    {
        switch (request.Action)
        {
            case "echo":
                return new FaultReply { Payload = request.Size > 0 ? ByteString.CopyFrom(new byte[request.Size]) : request.Payload, Sequence = request.Count };
            case "status" when request.Code == 0:
                context.Status = new Status(StatusCode.OK, request.Message);
                return new FaultReply { Text = "ok" };
            case "status":
                throw new RpcException(new Status((StatusCode)request.Code, request.Message));
            case "throw":
                throw new InvalidOperationException("The handler failed on purpose.");
            case "metadata":
                var echoed = new Metadata();
                foreach (var entry in context.RequestHeaders)
                {
                    if (entry.Key.StartsWith("x-test-", StringComparison.Ordinal))
                    {
                        echoed.Add(entry);
                        context.ResponseTrailers.Add(entry);
                    }
                }

                await context.WriteResponseHeadersAsync(echoed);
                return new FaultReply { Text = string.Join(",", echoed.Select(e => e.Key)) };
            case "wait":
                await WaitForCancellationAsync(context);
                throw new InvalidOperationException("Unreachable: the wait ends by cancellation.");
            case "headers-then-release":
                await context.WriteResponseHeadersAsync(new Metadata { { "x-initial", "before-any-message" } });
                probe.Started.TrySetResult(context);
                await probe.Release.Task.WaitAsync(HandlerTimeout, context.CancellationToken);
                return new FaultReply { Text = "released" };
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Unknown action '{request.Action}'."));
        }
    }

    private async Task WaitForCancellationAsync(ServerCallContext context)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (context.CancellationToken.Register(() => cancelled.TrySetResult()))
        {
            probe.Started.TrySetResult(context);
            await cancelled.Task.WaitAsync(HandlerTimeout);
        }

        probe.Cancelled.TrySetResult(new CancellationObserved(DateTime.UtcNow, context.Deadline));
        context.CancellationToken.ThrowIfCancellationRequested();
    }
}
