// A Java (JSSE) TLS peer for TLSKit's interoperability tests (Tests/TLSKitTests/Interop/JSSEInteropTests.swift),
// run in source-file mode: `java JSSEPeer.java server|client ...` (JDK 11 or later; scripts/test.sh installs one).
//
//   server PORT PKCS12 PASSWORD PROTOCOLS CONNECTIONS
//       Listens on 127.0.0.1:PORT, prints READY, then for each connection reads one line and answers
//       "java:LINE\n", prints "SERVED PROTOCOL SUITE", and closes (close_notify).
//   client PORT CA_PEM PROTOCOL CONNECTIONS
//       Connects CONNECTIONS times to 127.0.0.1:PORT as "localhost" (chain and hostname verified against CA_PEM, one
//       SSLContext, so later connections may resume), sends "hello N\n", prints "REPLY N LINE PROTOCOL SUITE".
//
// PROTOCOLS is a comma-separated list of JSSE names (TLSv1.3, TLSv1.2, TLSv1.1, TLSv1). TLS 1.0/1.1 are disabled in
// the JDK's java.security; asking for them here lifts that for this process only (the legacy tests).
import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.security.*;
import java.security.cert.*;
import javax.net.ssl.*;

public class JSSEPeer {
    public static void main(String[] args) throws Exception {
        String[] protocols = args[4 - (args[0].equals("client") ? 1 : 0)].split(",");
        for (String protocol : protocols) {
            if (protocol.equals("TLSv1") || protocol.equals("TLSv1.1")) {
                Security.setProperty("jdk.tls.disabledAlgorithms", "SSLv3, RC4, DES, MD5withRSA, NULL, anon");
            }
        }
        if (args[0].equals("server")) server(Integer.parseInt(args[1]), args[2], args[3], protocols, Integer.parseInt(args[5]));
        else client(Integer.parseInt(args[1]), args[2], protocols, Integer.parseInt(args[4]));
    }

    static void server(int port, String pkcs12, String password, String[] protocols, int connections) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(pkcs12)) { keys.load(in, password.toCharArray()); }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory()
            .createServerSocket(port, 8, InetAddress.getByName("127.0.0.1"));
        listener.setEnabledProtocols(protocols);
        say("READY");
        for (int i = 0; i < connections; i++) {
            try (SSLSocket socket = (SSLSocket) listener.accept()) {
                BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                String line = reader.readLine();
                OutputStream out = socket.getOutputStream();
                out.write(("java:" + line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                SSLSession session = socket.getSession();
                say("SERVED " + session.getProtocol() + " " + session.getCipherSuite());
            }
        }
    }

    static void client(int port, String caPEM, String[] protocols, int connections) throws Exception {
        KeyStore roots = KeyStore.getInstance(KeyStore.getDefaultType());
        roots.load(null);
        try (InputStream in = new FileInputStream(caPEM)) {
            roots.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(roots);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        for (int i = 0; i < connections; i++) {
            try (Socket tcp = new Socket(InetAddress.getByName("127.0.0.1"), port);
                 SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(tcp, "localhost", port, true)) {
                socket.setEnabledProtocols(protocols);
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                OutputStream out = socket.getOutputStream();
                out.write(("hello " + i + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                String line = reader.readLine();
                SSLSession session = socket.getSession();
                say("REPLY " + i + " " + line + " " + session.getProtocol() + " " + session.getCipherSuite());
            }
        }
        say("DONE");
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
