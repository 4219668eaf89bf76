# shiftgate's production image: the compiled bot and its production dependencies, run as a non-root
# user, listening on $PORT (Cloud Run sets it; 8080 otherwise). docs/deploy.md builds and deploys it.
# test/deploy/dockerfile.test.ts replays these stages in a temporary directory and starts the result,
# so a change here that breaks the build or the start fails the tests.

# Build: every dependency (TypeScript among them), then src/ -> dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, in a stage of their own so npm's cache and logs stay out of the image.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: package.json (it says the code is ESM), production node_modules, dist/. Nothing else.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The base image's unprivileged user; the files above stay root's, so the process cannot change them.
USER node
EXPOSE 8080
CMD ["node", "dist/bot/main.js"]
