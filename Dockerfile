# Gatehouse in a container: `docker build -t gatehouse .`, then run it with the config and the data
# as volumes (README "Packaging"). Two stages: the build one has the compilers and dev dependencies,
# the runtime one only Node, the production node_modules and dist/.

FROM node:20-bookworm-slim AS build
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY cli ./cli
COPY config ./config
COPY directory ./directory
COPY entra ./entra
COPY federation ./federation
COPY health ./health
COPY keys ./keys
COPY metadata ./metadata
COPY store ./store
COPY sts ./sts
COPY sync ./sync
COPY xml ./xml
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/gatehouse
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Config (gatehouse.yaml, TLS key and certificate, secrets) and data (the SQLite store, audit.file)
# live outside the image; the image's `node` user (uid 1000) owns them, never root.
RUN mkdir -p /etc/gatehouse /var/lib/gatehouse && chown node:node /etc/gatehouse /var/lib/gatehouse
VOLUME ["/etc/gatehouse", "/var/lib/gatehouse"]
USER node
EXPOSE 8443
# /adfs/probe answers 200 once the node can serve and 503 while it starts or stops (AD FS's probe).
# On loopback the certificate names the public host, not 127.0.0.1, so only the status is checked.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('node:https').get({host:'127.0.0.1',port:process.env.GATEHOUSE_PORT||8443,path:'/adfs/probe',rejectUnauthorized:false,timeout:2000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/gatehouse/dist/cli/main.js"]
CMD ["serve", "-c", "/etc/gatehouse/gatehouse.yaml"]
