using FastDht.NodeHost;

return await NodeProgram.RunAsync(args).ConfigureAwait(false);
